// Terminal output: colours only on a TTY, and never with NO_COLOR (https://no-color.org).
const useColor = Boolean(process.stdout.isTTY) && !process.env["NO_COLOR"] && process.env["TERM"] !== "dumb";

function paint(code: string): (text: string) => string {
  return (text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
}

export const bold = paint("1");
export const dim = paint("2");
export const red = paint("31");
export const green = paint("32");
export const yellow = paint("33");
export const cyan = paint("36");

export function status(code: number, text: string): string {
  const label = `${code} ${text}`;
  return code >= 500 ? red(label) : code >= 400 ? yellow(label) : green(label);
}

export function print(line = ""): void {
  process.stdout.write(`${line}\n`);
}

export function printErr(line: string): void {
  process.stderr.write(`${line}\n`);
}
