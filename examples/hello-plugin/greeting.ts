// The greeting itself, in a file of its own to show that a plugin folder may hold several
// modules: they are copied and hashed with the entry, and import each other by relative path.

export interface GreetingOptions {
  greeting: string;
  shout: boolean;
}

export function greetingText({ greeting, shout }: GreetingOptions, name?: string): string {
  const text = name ? `${greeting}, ${name}` : greeting;
  return shout ? text.toUpperCase() : text;
}
