import { jsonBody, runSampleApp } from "./sample-app.js";

// The `orders` sample app: accepts new orders.
let next = 1;

runSampleApp("orders", (req) => {
  if (req.method === "POST" && req.path === "/neworder") {
    const { item, quantity } = jsonBody(req);
    if (typeof item !== "string" || item === "") return { status: 400, body: { error: "item is required" } };
    const orderId = `order-${next++}`;
    return {
      status: 201,
      body: { orderId, item, quantity: typeof quantity === "number" ? quantity : 1, status: "accepted" },
      headers: { location: `/orders/${orderId}` },
    };
  }
  return { status: 404, body: { error: `no route ${req.method} ${req.path}` } };
});
