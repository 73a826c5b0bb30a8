// Bun's `with { type: "file" }` import of the built stage yields its path (embedded when compiled).
declare module "*/nsbox-stage" {
  const path: string;
  export default path;
}
// The same for the selftest probe program (src/native/probe.ts).
declare module "*/nsbox-probe" {
  const path: string;
  export default path;
}
// The default seccomp filter compiled at build time (scripts/build-seccomp.ts).
declare module "*/seccomp-default.bpf" {
  const path: string;
  export default path;
}
// Shell code of the completion scripts, embedded as text (src/reference/complete.*).
declare module "*.bash" {
  const text: string;
  export default text;
}
declare module "*.zsh" {
  const text: string;
  export default text;
}
