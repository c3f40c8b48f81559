import { jsonBody, runSampleApp } from "./sample-app.js";

// The `inventory` sample app: stock levels, reservations, JSON 404 for unknown items.
const stock = new Map<string, number>([
  ["apple", 12],
  ["pear", 3],
  ["banana", 0],
]);

runSampleApp("inventory", (req) => {
  if (req.method === "GET" && req.path === "/stock") {
    const item = req.query.get("item") ?? "";
    const count = stock.get(item);
    if (count === undefined) return { status: 404, body: { error: "unknown item", item } };
    return { status: 200, body: { item, inStock: count } };
  }
  if (req.method === "POST" && req.path === "/reserve") {
    const { item, quantity } = jsonBody(req);
    const count = typeof item === "string" ? stock.get(item) : undefined;
    if (count === undefined) return { status: 404, body: { error: "unknown item", item } };
    const want = typeof quantity === "number" && quantity > 0 ? quantity : 1;
    if (want > count) return { status: 409, body: { error: "not enough stock", item, inStock: count } };
    stock.set(item as string, count - want);
    return { status: 200, body: { reserved: true, item, quantity: want, remaining: count - want } };
  }
  return { status: 404, body: { error: `no route ${req.method} ${req.path}` } };
});
