import { isIP } from "node:net";
import { hostname, networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { detectHostIp, detectHostname } from "./host-info.js";

function nic(address: string, opts: { internal?: boolean; family?: "IPv4" | "IPv6" } = {}): NetworkInterfaceInfo {
  const family = opts.family ?? (address.includes(":") ? "IPv6" : "IPv4");
  const base = { address, netmask: "", mac: "00:00:00:00:00:00", internal: opts.internal ?? false, cidr: null };
  return family === "IPv4" ? { ...base, family } : { ...base, family, scopeid: 0 };
}

const LOOPBACK = { lo: [nic("127.0.0.1", { internal: true }), nic("::1", { internal: true })] };

describe("detectHostIp", () => {
  it.each<[string, Record<string, NetworkInterfaceInfo[]>, string]>([
    ["prefers a private IPv4", { ...LOOPBACK, eth0: [nic("203.0.113.7"), nic("10.1.2.3")] }, "10.1.2.3"],
    ["any private range: 172.16/12", { eth0: [nic("8.8.8.8"), nic("172.20.0.4")] }, "172.20.0.4"],
    ["any private range: 192.168/16", { eth0: [nic("8.8.8.8")], wlan0: [nic("192.168.1.9")] }, "192.168.1.9"],
    ["172.32 is not private", { eth0: [nic("172.32.0.1"), nic("192.168.0.2")] }, "192.168.0.2"],
    ["takes the first private address listed", { eth0: [nic("192.168.0.2")], eth1: [nic("10.0.0.1")] }, "192.168.0.2"],
    ["then another IPv4", { eth0: [nic("2001:db8::5"), nic("203.0.113.7")] }, "203.0.113.7"],
    ["skips link-local IPv4", { eth0: [nic("169.254.10.1"), nic("2001:db8::5")] }, "2001:db8::5"],
    ["skips the CLAT range 192.0.0.0/29", { clat: [nic("192.0.0.4")], eth0: [nic("192.0.0.8")] }, "192.0.0.8"],
    ["then a global IPv6", { ...LOOPBACK, eth0: [nic("fe80::1"), nic("2001:db8::5")] }, "2001:db8::5"],
    ["unique-local IPv6 counts as global unicast", { eth0: [nic("fe80::1"), nic("fd00::7")] }, "fd00::7"],
    ["skips multicast IPv6", { eth0: [nic("ff02::1")] }, "127.0.0.1"],
    ["never an internal address", { lo: [nic("10.9.9.9", { internal: true }), nic("2001:db8::9", { internal: true })] }, "127.0.0.1"],
    ["falls back to 127.0.0.1", LOOPBACK, "127.0.0.1"],
    ["no interfaces at all", {}, "127.0.0.1"],
  ])("%s", (_name, interfaces, expected) => {
    expect(detectHostIp({}, interfaces)).toBe(expected);
  });

  it("uses DAPR_HOST_IP when set", () => {
    expect(detectHostIp({ DAPR_HOST_IP: "192.0.2.44" }, { eth0: [nic("10.0.0.1")] })).toBe("192.0.2.44");
  });

  it("ignores an empty DAPR_HOST_IP", () => {
    expect(detectHostIp({ DAPR_HOST_IP: "" }, { eth0: [nic("10.0.0.1")] })).toBe("10.0.0.1");
  });

  it("picks one of this machine's external addresses, or 127.0.0.1", () => {
    const external = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((info) => !info.internal)
      .map((info) => info.address);
    const ip = detectHostIp({});
    expect(isIP(ip)).not.toBe(0);
    expect([...external, "127.0.0.1"]).toContain(ip);
  });
});

describe("detectHostname", () => {
  it("is the OS hostname", () => {
    expect(detectHostname()).toBe(hostname());
  });
});
