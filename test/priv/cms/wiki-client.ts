// DokuWiki's own form flow over HTTP, as a browser does it: a cookie jar, the login form with its
// security token (sectok), then the edit form (its hidden fields) and the save.

/** The value of a hidden input `name` in an HTML form, or undefined. */
function hiddenField(html: string, name: string): string | undefined {
  for (const m of html.matchAll(/<input\b[^>]*>/g)) {
    const tag = m[0];
    if (new RegExp(`\\bname="${name.replace(/[[\]]/g, "\\$&")}"`).test(tag)) {
      const v = /\bvalue="([^"]*)"/.exec(tag);
      return v ? decodeHtml(v[1]!) : "";
    }
  }
  return undefined;
}

const decodeHtml = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#0?39;/g, "'").replace(/&amp;/g, "&");

export class WikiClient {
  private readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  /** One request; cookies kept; redirects followed by hand so each hop's cookies are kept too. */
  async request(path: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ status: number; text: string; url: string }> {
    let url = new URL(path, this.base).toString();
    let method = init.method ?? (init.form ? "POST" : "GET");
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hop = 0; hop < 5; hop++) {
      const headers: Record<string, string> = { "user-agent": "nsbox-cms-test", "accept-language": "en" };
      if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
      if (body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
      const r = await fetch(url, { method, headers, body, redirect: "manual" });
      for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const eq = pair!.indexOf("=");
        const k = pair!.slice(0, eq).trim();
        const v = pair!.slice(eq + 1).trim();
        if (v === "deleted" || /expires=Thu, 01[- ]Jan[- ]1970/i.test(c)) this.cookies.delete(k);
        else this.cookies.set(k, v);
      }
      const loc = r.headers.get("location");
      if (r.status >= 300 && r.status < 400 && loc) {
        await r.arrayBuffer();
        url = new URL(loc, url).toString();
        method = "GET";
        body = undefined;
        continue;
      }
      return { status: r.status, text: await r.text(), url };
    }
    throw new Error(`too many redirects from ${path}`);
  }

  /** Logs in through doku.php?do=login; true when the page afterwards offers "Log Out". */
  async login(user: string, password: string): Promise<boolean> {
    const form = await this.request("/doku.php?id=start&do=login");
    const sectok = hiddenField(form.text, "sectok");
    if (sectok === undefined) throw new Error(`no sectok on the login page (status ${form.status}): ${form.text.slice(0, 300)}`);
    const r = await this.request("/doku.php", { form: { id: "start", do: "login", sectok, u: user, p: password } });
    return /do=logout/.test(r.text);
  }

  /** Opens PAGE's editor and saves `text` with the form's own hidden fields. */
  async savePage(page: string, text: string): Promise<number> {
    const edit = await this.request(`/doku.php?id=${encodeURIComponent(page)}&do=edit`);
    const field = (n: string) => {
      const v = hiddenField(edit.text, n);
      if (v === undefined) throw new Error(`the edit form of ${page} has no ${n} (status ${edit.status}): ${edit.text.slice(0, 300)}`);
      return v;
    };
    const form: Record<string, string> = {
      sectok: field("sectok"),
      id: page,
      rev: hiddenField(edit.text, "rev") ?? "",
      date: field("date"),
      prefix: field("prefix"),
      suffix: field("suffix"),
      changecheck: field("changecheck"),
      target: hiddenField(edit.text, "target") ?? "section",
      wikitext: text,
      summary: "nsbox test edit",
      "do[save]": "Save",
    };
    const r = await this.request("/doku.php", { form });
    return r.status;
  }

  /** The rendered page (its HTML). */
  async page(page: string): Promise<{ status: number; text: string }> {
    return this.request(`/doku.php?id=${encodeURIComponent(page)}`);
  }
}
