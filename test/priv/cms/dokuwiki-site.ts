// A real DokuWiki (Debian's package) laid out for cms-isolate: ONE shared, root-owned code dir
// and, per instance, a data dir holding that instance's conf/ and data/. The code dir's
// inc/preload.php points DokuWiki at $CMS_DATA/conf/, so one code dir serves every instance.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where Debian's dokuwiki package puts the code, its default config and its data skeleton. */
const DEBIAN_CODE = "/usr/share/dokuwiki";
const DEBIAN_CONF = "/etc/dokuwiki";
const DEBIAN_DATA = "/var/lib/dokuwiki/data";
/** DokuWiki's init_paths() refuses to start unless each of these exists under savedir. */
const DATA_DIRS = ["pages", "attic", "media", "media_attic", "media_meta", "meta", "cache", "index", "locks", "tmp", "log"];

export const PROBE_PHP = resolve(import.meta.dir, "probe.php");

/** Why the host cannot run the DokuWiki tests, or undefined when it can. */
export function missingDokuwiki(): string | undefined {
  if (!existsSync(join(DEBIAN_CODE, "doku.php"))) return "the Debian package dokuwiki is not installed";
  if (Bun.spawnSync(["php", "-r", "exit(function_exists('posix_kill') ? 0 : 1);"]).exitCode !== 0) return "php-cli with the posix extension (php8.2-common) is not installed";
  return undefined;
}

/**
 * Copies Debian's DokuWiki into `dir` (symlinks into /etc and /var/lib dereferenced: an instance
 * sees only the code dir), adds the instance-aware preload and the attacker probe. Root-owned,
 * world-readable, writable by nobody else.
 */
export function buildCodeDir(dir: string): string {
  cpSync(DEBIAN_CODE, dir, { recursive: true, dereference: true });
  // Debian's preload.php reads /etc/dokuwiki and a farm layout: replaced by one that takes the
  // instance's config dir from its environment (CMS_DATA, set by cms-isolate for the server).
  writeFileSync(
    join(dir, "inc/preload.php"),
    [
      "<?php",
      "// cms-isolate: each instance keeps its config (and, through savedir, its data) in CMS_DATA.",
      "$cmsData = getenv('CMS_DATA');",
      "if ($cmsData === false || $cmsData === '') { http_response_code(500); exit(\"CMS_DATA is not set\\n\"); }",
      "if (!defined('DOKU_CONF')) define('DOKU_CONF', rtrim($cmsData, '/') . '/conf/');",
      "",
    ].join("\n"),
  );
  cpSync(PROBE_PHP, join(dir, "probe.php"));
  chmodTree(dir);
  return dir;
}

export interface WikiUser {
  login: string;
  password: string;
}

/**
 * Makes an instance's data dir: conf/ (Debian's defaults plus local.php, the ACL and one user
 * whose password hash PHP made) and data/ (the skeleton, with a start page naming the instance).
 */
export function buildDataDir(dir: string, name: string, user: WikiUser): string {
  const conf = join(dir, "conf");
  const data = join(dir, "data");
  mkdirSync(conf, { recursive: true });
  for (const f of readdirSync(DEBIAN_CONF)) {
    if (/\.(php|conf|css|json)$/.test(f) && !["local.php", "users.auth.php", "acl.auth.php", "preload.php"].includes(f)) cpSync(join(DEBIAN_CONF, f), join(conf, f), { dereference: true });
  }
  writeFileSync(
    join(conf, "local.php"),
    [
      "<?php",
      `$conf['title'] = 'wiki ${name}';`,
      "$conf['savedir'] = dirname(DOKU_CONF) . '/data';",
      "$conf['useacl'] = 1;",
      "$conf['authtype'] = 'authplain';",
      `$conf['superuser'] = '${user.login}';`,
      // No network from the wiki itself: no update check, no reverse DNS, no mail.
      "$conf['updatecheck'] = 0;",
      "$conf['dnslookups'] = 0;",
      "$conf['notify'] = '';",
      "$conf['registernotify'] = '';",
      "$conf['jquerycdn'] = 0;",
      "",
    ].join("\n"),
  );
  writeFileSync(join(conf, "acl.auth.php"), "# acl.auth.php\n*\t@ALL\t1\n*\t@user\t8\n");
  const hash = phpPasswordHash(user.password);
  writeFileSync(join(conf, "users.auth.php"), `# users.auth.php\n${user.login}:${hash}:Test User ${name}:${user.login}@example.invalid:admin,user\n`);

  cpSync(DEBIAN_DATA, data, { recursive: true, dereference: true });
  for (const d of DATA_DIRS) mkdirSync(join(data, d), { recursive: true });
  writeFileSync(join(data, "pages/start.txt"), `====== ${startTitle(name)} ======\n\nThis is the start page of instance ${name}.\n`);
  chmodTree(dir);
  return dir;
}

/** The start page's heading for instance `name` (what its start page must show). */
export const startTitle = (name: string) => `Start of ${name}`;

/** A bcrypt hash from PHP's own password_hash, which DokuWiki's PassHash verifies. */
function phpPasswordHash(password: string): string {
  const r = Bun.spawnSync(["php", "-r", "echo password_hash($argv[1], PASSWORD_BCRYPT);", password]);
  const hash = r.stdout.toString();
  if (r.exitCode !== 0 || !hash.startsWith("$2y$")) throw new Error(`php password_hash failed: ${r.stderr}`);
  return hash;
}

/** Directories 0755 and files 0644 (the instance reads them as an unprivileged uid). */
function chmodTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = join(e.parentPath, e.name);
    if (e.isDirectory()) chmodSync(p, 0o755);
    else if (e.isFile()) chmodSync(p, 0o644);
  }
}

export function removeTree(dir: string): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
