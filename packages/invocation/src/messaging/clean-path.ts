/**
 * Go's `path.Clean` (lexical, POSIX `/` only), which daprd's method normalization is built on
 * (spec §2.3 step 3):
 *
 * 1. repeated `/` collapse to one;
 * 2. `.` segments are removed;
 * 3. a `..` segment removes the segment before it (unless that is `..` too);
 * 4. `..` directly after the root of a rooted path is dropped (`/..` is `/`);
 * 5. the trailing `/` goes, except for the root itself; an empty result is `.`.
 *
 * Percent escapes and backslashes are ordinary characters here.
 */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const kept: string[] = [];
  for (const segment of p.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (kept.length > 0 && kept[kept.length - 1] !== "..") kept.pop();
      // A rootless path keeps leading `..` (Go does); a rooted one cannot climb above `/`.
      else if (!rooted) kept.push("..");
      continue;
    }
    kept.push(segment);
  }
  const body = kept.join("/");
  if (rooted) return `/${body}`;
  return body === "" ? "." : body;
}
