// End-to-end scenarios for herald's page, in Debian's Chromium.
//
// Run by tests/browser.rs, one scenario per Rust test:
//   node tests/browser/run.mjs --herald PATH/TO/herald --scenario NAME
// or, for a herald a README recipe started:
//   node tests/browser/run.mjs --url http://127.0.0.1:PORT --scenario NAME
// Each scenario starts its own herald (the real binary, on 127.0.0.1 port 0),
// launches a fresh headless Chromium through playwright-core, drives the page
// as a person would, and exits 0 when every check holds. Every wait has a
// bound; the whole run is cut off after RUN_LIMIT_MS.
//
// Some scenarios put a small TCP proxy between the browser and herald. The
// proxy can "go away" (drop every connection and refuse new ones) while
// herald keeps running, which is how a tab sees a server restart or a
// network drop, and lets the test publish while the tab is cut off.

import { chromium } from "playwright-core";
import { execSync, spawn } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const RUN_LIMIT_MS = 90_000;
const WAIT_MS = 15_000;
const CHROMIUM = process.env.HERALD_CHROMIUM || "/usr/bin/chromium";
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-quic",
];

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) =>
    arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs, []));

setTimeout(() => {
  console.error(`scenario ${args.scenario} did not finish within ${RUN_LIMIT_MS} ms`);
  process.exit(1);
}, RUN_LIMIT_MS).unref();

// ---- herald and the proxy ----------------------------------------------------

/** Starts the herald binary; resolves once it says where it listens. */
function startHerald(extraArgs = [], addr = "127.0.0.1:0") {
  const child = spawn(args.herald, ["--addr", addr, "--quiet", ...extraArgs],
    { stdio: ["ignore", "ignore", "pipe"] });
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error("herald did not start: " + seen)), WAIT_MS);
    child.stderr.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(/herald listening on (http:\/\/[^/\s]+)\//);
      if (match) {
        clearTimeout(timer);
        resolve({ child, base: match[1], port: Number(new URL(match[1]).port) });
      }
    });
    child.on("exit", (code) => reject(new Error(`herald exited with ${code}: ${seen}`)));
  });
}

async function stopHerald(herald) {
  if (herald.child.exitCode !== null) return;
  const exited = new Promise((resolve) => herald.child.once("exit", resolve));
  herald.child.kill("SIGKILL");
  await exited;
}

/** A TCP proxy to `port` that can be taken down and brought back. */
async function startProxy(port) {
  const sockets = new Set();
  let up = true;
  const server = net.createServer((client) => {
    if (!up) return client.destroy();
    const upstream = net.connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
    }
    client.pipe(upstream).on("error", () => {});
    upstream.pipe(client).on("error", () => {});
    upstream.once("data", (chunk) => {
      const text = chunk.toString("latin1");
      // A full herald answers an event stream with one herald-unavailable
      // event (EventSource would give up for good on a 503), anything else 503.
      if (text.startsWith("HTTP/1.1 503") || text.includes("event: herald-unavailable")) {
        proxy.refused++;
      }
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy = {
    base: `http://127.0.0.1:${server.address().port}`,
    /** How many answers through the proxy were refusals (503 or herald-unavailable). */
    refused: 0,
    down() { up = false; for (const socket of sockets) socket.destroy(); },
    up() { up = true; },
    close() { this.down(); server.close(); },
  };
  return proxy;
}

// ---- talking to herald directly ---------------------------------------------

/**
 * One request on a connection of its own that closes after the answer, so
 * the test never holds a keep-alive connection (and a server slot) open.
 */
function request(base, method, target, body = "") {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${target}`, {
      method, agent: false,
      headers: body ? { "Content-Type": "application/x-www-form-urlencoded" } : {},
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => { text += chunk; });
      res.on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.setTimeout(WAIT_MS, () => req.destroy(new Error(`${method} ${target} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

async function publish(base, message, fields = {}) {
  const body = new URLSearchParams({ message, ...fields }).toString();
  const { status, text } = await request(base, "POST", "/publish", body);
  assert.equal(status, 200, `publish answered ${status}: ${text}`);
  return Number(text.trim());
}

async function stats(base) {
  return JSON.parse((await request(base, "GET", "/stats")).text);
}

/** Opens streams to herald until it says it is full; returns them. */
async function fillServer(base) {
  const { port } = new URL(base);
  const hogs = [];
  for (let i = 0; i < 100; i++) {
    const socket = net.connect(Number(port), "127.0.0.1");
    socket.on("error", () => {});
    const status = await new Promise((resolve) => {
      let seen = "";
      socket.on("data", (chunk) => {
        seen += chunk;
        const match = seen.match(/^HTTP\/1\.1 (\d{3})/);
        const head = seen.indexOf("\r\n\r\n");
        if (!match || head < 0) return;
        // Full: the stream ends after one herald-unavailable event.
        if (seen.includes("event: herald-unavailable")) resolve(503);
        // A real stream starts with a comment; wait for the first bytes of it.
        else if (seen.length > head + 4) resolve(Number(match[1]));
      });
      socket.on("close", () => resolve(0));
      socket.write("GET /events HTTP/1.1\r\nHost: t\r\n\r\n");
    });
    socket.removeAllListeners("data");
    if (status !== 200) { socket.destroy(); return hogs; }
    hogs.push(socket);
  }
  throw new Error("the server never filled up");
}

// ---- the browser ----------------------------------------------------------------

async function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

async function openPage(context, url) {
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("page error:", error.message));
  await page.goto(url);
  return page;
}

const statusOf = (page) => page.locator("#status").getAttribute("data-state");
const waitForStatus = (page, state) => page.waitForFunction(
  (want) => document.getElementById("status").dataset.state === want, state, { timeout: WAIT_MS });
const feedTexts = (page) => page.locator("#feed li:not(.notice) .text").allTextContents();
const waitForMessage = (page, text) => page.waitForFunction(
  (want) => [...document.querySelectorAll("#feed li .text")].some((e) => e.textContent === want),
  text, { timeout: WAIT_MS });

/** Polls `condition` every 50 ms until it holds, for at most WAIT_MS. */
async function until(condition, what) {
  const deadline = Date.now() + WAIT_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function countOf(texts, text) {
  return texts.filter((t) => t === text).length;
}

// ---- the scenarios ------------------------------------------------------------

const scenarios = {
  /** Two tabs; a message typed in one appears in both, once, with its time. */
  async "two-tabs"({ herald, browser }) {
    const context = await browser.newContext();
    const [one, two] = [await openPage(context, herald.base), await openPage(context, herald.base)];
    await Promise.all([waitForStatus(one, "live"), waitForStatus(two, "live")]);
    await one.fill("#message", "hello from tab one");
    await one.press("#message", "Enter");
    for (const page of [one, two]) {
      await waitForMessage(page, "hello from tab one");
      assert.equal(countOf(await feedTexts(page), "hello from tab one"), 1);
      const time = await page.locator("#feed li time").first().textContent();
      assert.match(time, /\d{1,2}:\d{2}/, "each message shows its time");
    }
    assert.equal(await one.inputValue("#message"), "", "the input clears after sending");
    assert.equal(await one.evaluate(() => document.activeElement.id), "message", "and keeps focus");
  },

  /** Markup in a message is shown as text and never runs. */
  async "xss"({ herald, browser }) {
    const page = await openPage(await browser.newContext(), herald.base);
    await waitForStatus(page, "live");
    const attack = `<img src=x onerror="window.__xss=1">`;
    await page.fill("#message", attack);
    await page.press("#message", "Enter");
    await waitForMessage(page, attack);
    // Give a would-be image error handler its chance to run: a bounded wait
    // for something that must not happen.
    await page.waitForTimeout(300);
    assert.equal(await page.locator("#feed img").count(), 0, "no element was created");
    assert.equal(await page.evaluate(() => window.__xss), undefined, "the handler never ran");
  },

  /**
   * The indicator follows the connection. Through a proxy that goes away
   * while herald keeps running, messages published meanwhile arrive once the
   * tab is back; then herald itself is restarted on the same port.
   */
  async "reconnect"({ herald, browser }) {
    const proxy = await startProxy(herald.port);
    const page = await openPage(await browser.newContext(), proxy.base);
    await waitForStatus(page, "live");
    await publish(herald.base, "before the drop");
    await waitForMessage(page, "before the drop");

    proxy.down();
    await waitForStatus(page, "reconnecting");
    for (const n of [1, 2, 3]) await publish(herald.base, `while away ${n}`);
    proxy.up();
    await waitForStatus(page, "live");
    for (const n of [1, 2, 3]) await waitForMessage(page, `while away ${n}`);
    const texts = await feedTexts(page);
    for (const text of ["before the drop", "while away 1", "while away 2", "while away 3"]) {
      assert.equal(countOf(texts, text), 1, `"${text}" shown once`);
    }

    // A real restart: the process goes away, and comes back on the same port.
    await stopHerald(herald);
    await waitForStatus(page, "reconnecting");
    const again = await startHerald([], `127.0.0.1:${herald.port}`);
    herald.child = again.child;
    await waitForStatus(page, "live");
    await publish(herald.base, "after the restart");
    await waitForMessage(page, "after the restart");
    proxy.close();
  },

  /** Eight tabs of one browser all stay live and all get every message. */
  async "eight-tabs"({ herald, browser }) {
    const context = await browser.newContext();
    const pages = [];
    for (let i = 0; i < 8; i++) pages.push(await openPage(context, herald.base));
    await Promise.all(pages.map((page) => waitForStatus(page, "live")));
    await publish(herald.base, "to all eight");
    await Promise.all(pages.map((page) => waitForMessage(page, "to all eight")));
    const { listeners } = await stats(herald.base);
    console.log(`eight tabs open, /stats listeners = ${listeners}`);
    assert.equal(listeners, 1, "all tabs share one stream");
  },

  /** Without JavaScript the form still posts, and the 303 brings the person back. */
  async "no-javascript"({ herald, browser }) {
    const page = await openPage(await browser.newContext({ javaScriptEnabled: false }), herald.base);
    await page.fill("#message", "sent without javascript");
    await Promise.all([page.waitForURL(`${herald.base}/`), page.click("button[type=submit]")]);
    assert.equal(await page.locator("form#publish").count(), 1, "back on the page");
    const { published } = await stats(herald.base);
    assert.equal(published, 1, "the message was published");
  },

  /** Screenshots at laptop and phone sizes, each with a non-empty feed. */
  async "screenshots"({ herald, browser }) {
    const dir = args.shots || path.join(os.tmpdir(), "herald-screenshots");
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, viewport] of [["laptop", { width: 1280, height: 800 }], ["phone", { width: 390, height: 844 }]]) {
      const page = await openPage(await browser.newContext({ viewport }), herald.base);
      await waitForStatus(page, "live");
      for (const text of ["Deploy of build 4812 finished", "Coffee machine on floor 3 is fixed",
        "A longer message, to see how the feed wraps a line that does not fit on one row of a phone screen"]) {
        await publish(herald.base, `${text} (${name})`);
        await waitForMessage(page, `${text} (${name})`);
      }
      assert.ok((await feedTexts(page)).length >= 3, "the feed is not empty");
      const file = path.join(dir, `herald-${name}.png`);
      const png = await page.screenshot({ path: file, fullPage: false });
      assert.ok(png.length > 1000, "the screenshot has content");
      console.log(`screenshot: ${file}`);
    }
  },

  /**
   * When the server is full, /events gets 503 and EventSource gives up for
   * good; the page must retry by itself and be live again once there is room.
   */
  async "full-server"({ herald, browser }) {
    const proxy = await startProxy(herald.port);
    const page = await openPage(await browser.newContext(), proxy.base);
    await waitForStatus(page, "live");
    proxy.down();
    await waitForStatus(page, "reconnecting");
    // The hub frees the tab's old stream at its next heartbeat.
    await until(async () => (await stats(herald.base)).listeners === 0, "the old stream to go");
    const hogs = await fillServer(herald.base);
    proxy.up();
    // The page's attempts are now refused with a stream that asks it to come
    // back in 2-5 s; EventSource must keep trying (not give up as on a 503).
    await until(() => proxy.refused >= 2, "the page to retry after two refusals");
    assert.equal(await statusOf(page), "reconnecting");
    for (const hog of hogs) hog.destroy();
    await waitForStatus(page, "live");
    await publish(herald.base, "room again");
    await waitForMessage(page, "room again");
    proxy.close();
  },
};

/** Publishes `message` and says when, in ms since 1970, it was accepted (about). */
async function publishTimed(base, message, fields = {}) {
  const before = Date.now();
  const id = await publish(base, message, fields);
  return { id, at: (before + Date.now()) / 2 };
}

/** The feed's items as the page shows them: text, labels and <time datetime>. */
const feedItems = (page) => page.$$eval("#feed li:not(.notice)", (items) => items.map((li) => ({
  text: li.querySelector(".text").textContent,
  labels: [...li.querySelectorAll(".label")].map((label) => label.textContent),
  datetime: li.querySelector("time").dateTime,
})));

/**
 * A new tab opens with what happened lately: an unnamed message, an alert
 * and one for ops, published five seconds before the page opened, each
 * with its label and the time it was published, not the time it arrived.
 */
scenarios["recent-on-open"] = async function ({ herald, browser }) {
  const sent = [
    await publishTimed(herald.base, "plain news"),
    await publishTimed(herald.base, "disk 91% full", { event: "alert" }),
    await publishTimed(herald.base, "deploy finished", { topic: "ops" }),
  ];
  // The wait is the test: the page must tell publish time from open time.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const page = await openPage(await browser.newContext(), herald.base);
  await waitForMessage(page, "plain news");
  const items = await feedItems(page);
  assert.deepEqual(items.map((item) => [item.text, item.labels]), [
    ["deploy finished", ["ops"]], ["disk 91% full", ["alert"]], ["plain news", []],
  ], "newest first, each with its type or topic");
  items.reverse().forEach((item, n) => {
    const off = Math.abs(Date.parse(item.datetime) - sent[n].at);
    assert.ok(off < 1000, `"${item.text}" shows ${item.datetime}, ${off} ms from its publish`);
  });
  const alert = page.locator("#feed .type-alert");
  assert.equal(await alert.textContent(), "alert", "an alert says so in words, not colour alone");
  const room = await openPage(await browser.newContext(), `${herald.base}/?topic=ops`);
  await waitForMessage(room, "deploy finished");
  assert.deepEqual((await feedItems(room)).map((item) => item.labels), [[]],
    "a room does not label its own topic");
};

/**
 * Missed messages come back with their own times: published while the tab
 * was cut off, shown after it is back, two seconds later at least.
 */
scenarios["reconnect-times"] = async function ({ herald, browser }) {
  const proxy = await startProxy(herald.port);
  const page = await openPage(await browser.newContext(), proxy.base);
  await waitForStatus(page, "live");
  proxy.down();
  await waitForStatus(page, "reconnecting");
  const sent = [];
  for (const n of [1, 2]) sent.push(await publishTimed(herald.base, `while away ${n}`));
  await new Promise((resolve) => setTimeout(resolve, 2000));
  proxy.up();
  await waitForMessage(page, "while away 2");
  const items = (await feedItems(page)).reverse();
  items.forEach((item, n) => {
    const off = Math.abs(Date.parse(item.datetime) - sent[n].at);
    assert.ok(off < 1000, `"${item.text}" keeps its time: ${off} ms from its publish`);
  });
  proxy.close();
};

/**
 * axe-core finds nothing wrong, empty and with messages, light and dark;
 * the page works from the keyboard alone; long and many-lined messages
 * wrap and keep their lines; a feed of a thousand keeps the newest few
 * hundred in the page; and a dark screenshot is taken.
 */
scenarios["accessible"] = async function ({ herald, browser }) {
  const axeSource = fs.readFileSync(new URL("./node_modules/axe-core/axe.min.js", import.meta.url), "utf8");
  const check = async (page, what) => {
    await page.addScriptTag({ content: axeSource });
    const result = await page.evaluate(() => window.axe.run(document));
    const found = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`);
    assert.deepEqual(found, [], `axe-core, ${what}`);
  };
  for (const colorScheme of ["light", "dark"]) {
    const page = await openPage(await browser.newContext({ colorScheme }), herald.base);
    await waitForStatus(page, "live");
    await check(page, `${colorScheme}, empty`);
    await publish(herald.base, "disk 91% full", { event: "alert" });
    await publish(herald.base, "deploy finished", { topic: "ops" });
    await publish(herald.base, "passing", { topic: "builds", key: `main-${colorScheme}` });
    await waitForMessage(page, "deploy finished");
    await page.waitForSelector("#now:not([hidden]) #values li", { timeout: WAIT_MS });
    await check(page, `${colorScheme}, with messages and values`);
    if (colorScheme === "dark") {
      const dir = args.shots || path.join(os.tmpdir(), "herald-screenshots");
      fs.mkdirSync(dir, { recursive: true });
      const png = await page.screenshot({ path: path.join(dir, "herald-dark.png") });
      assert.ok(png.length > 1000, "the dark screenshot has content");
    }
  }

  const page = await openPage(await browser.newContext({ viewport: { width: 390, height: 844 } }), herald.base);
  await waitForStatus(page, "live");
  // Keyboard alone: the field has focus, Tab reaches Send, Enter sends.
  assert.equal(await page.evaluate(() => document.activeElement.id), "message");
  await page.keyboard.type("typed without a mouse");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Send");
  await page.keyboard.press("Enter");
  await waitForMessage(page, "typed without a mouse");

  const long = "x".repeat(3000);
  await publish(herald.base, long);
  await publish(herald.base, "first line\nsecond line\n\nafter an empty one");
  await waitForMessage(page, "first line\nsecond line\n\nafter an empty one");
  const layout = await page.evaluate(() => {
    const lines = [...document.querySelectorAll("#feed .text")].find((e) => e.textContent.startsWith("first"));
    return {
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      lineHeight: parseFloat(getComputedStyle(lines).lineHeight),
      height: lines.getBoundingClientRect().height,
    };
  });
  assert.ok(layout.overflow <= 0, `a long message wraps (${layout.overflow} px too wide)`);
  assert.ok(layout.height >= 3.5 * layout.lineHeight, "a message of four lines keeps its lines");

  for (let i = 0; i < 1000; i++) await publish(herald.base, `burst ${i}`);
  await waitForMessage(page, "burst 999");
  const shown = await page.locator("#feed li").count();
  assert.ok(shown <= 300, `the page keeps the newest few hundred, not ${shown}`);
};

/** A failed send is shown next to the form, not lost: server gone, then 401. */
scenarios["send-errors"] = async function ({ herald, browser }) {
  const proxy = await startProxy(herald.port);
  const page = await openPage(await browser.newContext(), proxy.base);
  await waitForStatus(page, "live");
  await page.waitForSelector("#token-row", { state: "visible", timeout: WAIT_MS });
  proxy.down();
  await page.fill("#message", "into the void");
  await page.press("#message", "Enter");
  await page.waitForSelector("#send-error", { state: "visible", timeout: WAIT_MS });
  assert.match(await page.locator("#send-error").textContent(), /cannot be reached/);
  assert.equal(await page.inputValue("#message"), "into the void", "the text is kept to send again");
  proxy.up();
  await waitForStatus(page, "live");
  await page.press("#message", "Enter");
  await page.waitForFunction(
    () => /needs a token/.test(document.getElementById("send-error").textContent), null, { timeout: WAIT_MS });
  await page.fill("#token", "s3cret");
  await page.press("#message", "Enter");
  await waitForMessage(page, "into the void");
  assert.equal(await page.locator("#send-error").isVisible(), false, "the error is cleared");
  proxy.close();
};

/** `/?topic=NAME` is a room: it shows and posts to its own topic only. */
scenarios["topic-rooms"] = async function ({ herald, browser }) {
  const context = await browser.newContext();
  const ops = await openPage(context, `${herald.base}/?topic=ops`);
  const dev = await openPage(context, `${herald.base}/?topic=dev`);
  await Promise.all([waitForStatus(ops, "live"), waitForStatus(dev, "live")]);
  assert.match(await ops.title(), /ops/);
  await ops.fill("#message", "for ops");
  await ops.press("#message", "Enter");
  await waitForMessage(ops, "for ops");
  await dev.fill("#message", "for dev");
  await dev.press("#message", "Enter");
  await waitForMessage(dev, "for dev");
  // Both published in order, so once dev has its own, ops's would be there.
  assert.deepEqual(await feedTexts(dev), ["for dev"]);
  assert.deepEqual(await feedTexts(ops), ["for ops"]);
};

/** Chromium's own WebSocket: receive, publish over the socket, get the ack. */
scenarios["websocket"] = async function ({ herald, browser }) {
  const page = await openPage(await browser.newContext(), herald.base);
  await page.evaluate(() => new Promise((resolve, reject) => {
    window.received = [];
    const socket = new WebSocket(`ws://${location.host}/ws?topic=ops`);
    socket.onmessage = (event) => window.received.push(JSON.parse(event.data));
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("the WebSocket did not open"));
    window.socket = socket;
  }));
  const id = await publish(herald.base, "to the socket", { topic: "ops" });
  await page.waitForFunction((want) => window.received.some((m) => m.id === want), id, { timeout: WAIT_MS });
  await page.evaluate(() => window.socket.send(JSON.stringify({ publish: "from chromium", topic: "ops" })));
  await page.waitForFunction(
    () => window.received.some((m) => "ack" in m) && window.received.some((m) => m.data === "from chromium"),
    null, { timeout: WAIT_MS });
  const received = await page.evaluate(() => window.received);
  const ack = received.find((m) => "ack" in m).ack;
  assert.equal(received.find((m) => m.data === "from chromium").id, ack, "the ack names the event");
  const { time, ...rest } = received[0];
  assert.deepEqual(rest, { id, event: null, topic: "ops", data: "to the socket" });
  assert.ok(Math.abs(Date.parse(time) - Date.now()) < 10_000, `the time it was accepted: ${time}`);
};

/** The README's example page, served from another origin, uses herald.js. */
scenarios["other-origin"] = async function ({ herald, browser, site }) {
  const page = await openPage(await browser.newContext(), site.base);
  await page.waitForFunction(() => document.getElementById("state").textContent === "live",
    null, { timeout: WAIT_MS });
  await publish(herald.base, "from a script", { topic: "ops" });
  await publish(herald.base, "another room", { topic: "dev" });
  await page.fill("#text", "from the ops board");
  await page.press("#text", "Enter");
  await page.waitForFunction(() => document.querySelectorAll("#feed li").length === 2, null, { timeout: WAIT_MS });
  const items = await page.locator("#feed li").allTextContents();
  assert.deepEqual(items.sort(), ["from a script", "from the ops board"]);
};

/**
 * With --auth-hook: an app on another port of the same host logs Alice in
 * with a session cookie (cookies are per host, not per port, so the
 * browser sends it to herald too) and answers herald's hook. Alice may
 * listen to "alice" and "team" and publish to "team"; nobody else may do
 * anything. The scenario checks what each browser sees and never sees.
 */
scenarios["private-topics"] = async function ({ herald, browser, app }) {
  const alice = await browser.newContext();
  const login = await alice.newPage();
  await login.goto(`${app.base}/login?user=alice`);
  assert.match(await login.textContent("body"), /logged in as alice/);

  // Two feed tabs and a room share the SharedWorker, and its streams carry the cookie.
  const feed = await openPage(alice, herald.base);
  const again = await openPage(alice, herald.base);
  const team = await openPage(alice, `${herald.base}/?topic=team`);
  await Promise.all([feed, again, team].map((page) => waitForStatus(page, "live")));
  assert.equal(await feed.evaluate(() => typeof SharedWorker), "function");
  assert.equal((await stats(herald.base)).listeners, 2, "one stream per topic for all of Alice's tabs");

  // Someone else's room, and a browser with no session, are refused for good.
  const bobsRoom = await openPage(alice, `${herald.base}/?topic=bob`);
  const stranger = await openPage(await browser.newContext(), herald.base);
  await Promise.all([waitForStatus(bobsRoom, "refused"), waitForStatus(stranger, "refused")]);
  assert.match(await stranger.locator("#status").textContent(), /not allowed/);

  // Bob's event first: once the later ones are shown, it would have been too.
  await publish(herald.base, "for bob", { topic: "bob", token: "s3cret" });
  await publish(herald.base, "for alice", { topic: "alice", token: "s3cret" });
  await publish(herald.base, "for everyone", { token: "s3cret" });
  await Promise.all([feed, again].map((page) => waitForMessage(page, "for everyone")));
  for (const page of [feed, again]) {
    assert.deepEqual(await feedTexts(page), ["for everyone", "for alice"]);
  }

  // Alice publishes as herself, with no token: to the team, yes; to everyone, no.
  await team.fill("#message", "alice to the team");
  await team.press("#message", "Enter");
  await Promise.all([team, feed].map((page) => waitForMessage(page, "alice to the team")));
  await feed.fill("#message", "alice to everyone");
  await feed.press("#message", "Enter");
  await feed.waitForSelector("#send-error", { state: "visible", timeout: WAIT_MS });
  assert.match(await feed.locator("#send-error").textContent(), /does not let you publish/);

  for (const page of [bobsRoom, stranger]) {
    assert.deepEqual(await feedTexts(page), [], "a refused page shows nothing");
    assert.equal(await statusOf(page), "refused", "and stays refused");
  }
  assert.ok(app.calls.listen >= 4 && app.calls.publish === 2, JSON.stringify(app.calls));
};

/**
 * A real Django project (python/tests/django_project) with the herald app:
 * Alice logs in through Django's login view and lands on a page whose
 * `{% herald_feed %}` lists her topic. An event published after the page
 * was rendered but before its script connected is shown (the tag renders
 * herald's newest id, and the stream starts after it); so is one that a
 * Django view publishes on commit; Bob's never is.
 */
scenarios["django-feed"] = async function ({ herald, browser, django }) {
  await djangoFeed(browser, django.base, herald);
};

/**
 * The same, with Django and herald behind one proxy that serves herald at
 * /herald/ (HERALD_PUBLIC_URL): herald.js keeps the path, so the stream is
 * /herald/events on the page's own origin. herald's own page works there
 * too, with its SharedWorker, as the logged-in person.
 */
scenarios["django-behind-a-path"] = async function ({ herald, browser, django }) {
  const requested = [];
  const context = await djangoFeed(browser, django.proxy.base, herald, requested);
  assert.ok(requested.some((url) => url.startsWith(`${django.proxy.base}/herald/events?`)), requested.join("\n"));
  const page = await openPage(context, `${django.proxy.base}/herald/`);
  await waitForStatus(page, "live");
  await publish(herald.base, "to alice's own page", { topic: "user-1", token: "s3cret" });
  await waitForMessage(page, "to alice's own page");
};

/**
 * `{% herald_state %}`: Alice's page shows her topic's values as Django
 * rendered them (in the HTML itself, before any script), then keeps them
 * live: a value updated in place, a new key added, a deleted one removed
 * (one Django rendered, which herald.js never held). Bob's never appear.
 */
scenarios["django-state"] = async function ({ herald, browser, django }) {
  const set = (topic, key, message) => publish(herald.base, message, { topic, key, token: "s3cret" });
  await set("user-1", "export", "running");
  await set("user-1", "report", "queued");
  await set("user-2", "secret", "for bob only");
  const context = await browser.newContext();
  const page = await openPage(context, `${django.base}/accounts/login/`);
  await page.fill("#id_username", "alice");
  await page.fill("#id_password", "pw-alice");
  const [rendered] = await Promise.all([
    page.waitForResponse((response) => response.url() === `${django.base}/feed/`),
    page.click("button[type=submit]"),
  ]);
  const html = await rendered.text();
  assert.ok(html.includes('<span class="herald-value">running</span>'), "rendered by Django: no empty flash");
  assert.ok(!html.includes("for bob only"));
  const values = () => page.$$eval("section.herald-values li", (rows) => rows.map((row) =>
    row.querySelector(".herald-key").textContent + "=" + row.querySelector(".herald-value").textContent));
  const waitForValues = (want) => until(async () =>
    JSON.stringify(await values()) === JSON.stringify(want), `the values ${want}`);
  await page.waitForFunction(() => document.querySelector(".herald-state").textContent === "live",
    null, { timeout: WAIT_MS });
  await set("user-1", "export", "done");
  await waitForValues(["export=done", "report=queued"]);
  await set("user-1", "backup", "started");
  await waitForValues(["export=done", "report=queued", "backup=started"]);
  await publish(herald.base, "", { topic: "user-1", key: "report", delete: "1", token: "s3cret" });
  await waitForValues(["export=done", "backup=started"]);
  await set("user-2", "secret", "still for bob");
  await set("user-1", "last", "word");
  await waitForValues(["export=done", "backup=started", "last=word"]);
};

/**
 * `{% herald_presence "lobby" %}`: Bob is on the page when Alice opens it,
 * so Django renders his name into her HTML (no script needed); then the
 * list is live: Alice appears, and Bob leaves when his browser closes.
 */
scenarios["django-presence"] = async function ({ browser, django }) {
  const logIn = async (name) => {
    const context = await browser.newContext();
    const page = await openPage(context, `${django.base}/accounts/login/`);
    await page.fill("#id_username", name);
    await page.fill("#id_password", `pw-${name}`);
    const [rendered] = await Promise.all([
      page.waitForResponse((response) => response.url() === `${django.base}/feed/`),
      page.click("button[type=submit]"),
    ]);
    return { context, page, html: await rendered.text() };
  };
  const names = (page) => page.$$eval("section.herald-presence li", (items) => items.map((item) => item.textContent));
  const waitForNames = (page, want) => until(async () =>
    JSON.stringify((await names(page)).sort()) === JSON.stringify(want), `the names ${want}`);
  const bob = await logIn("bob");
  await waitForNames(bob.page, ["bob"]);
  const alice = await logIn("alice");
  assert.ok(alice.html.includes('<li data-connections="1">bob</li>'), "rendered by Django: " + alice.html);
  await waitForNames(alice.page, ["alice", "bob"]);
  await bob.context.close();
  await waitForNames(alice.page, ["alice"]);
};

/** Logs Alice in at `site` and checks her feed page; returns her browser. */
async function djangoFeed(browser, site, herald, requested = []) {
  const context = await browser.newContext();
  context.on("request", (request) => requested.push(request.url()));
  let betweenRenderAndConnect = null;
  await context.route(/\/herald\.js$/, async (route) => {
    betweenRenderAndConnect ??= publish(herald.base, "published before the script connected",
      { topic: "user-1", token: "s3cret" });
    await betweenRenderAndConnect;
    await route.continue();
  });
  const page = await openPage(context, `${site}/accounts/login/`);
  await page.fill("#id_username", "alice");
  await page.fill("#id_password", "pw-alice");
  await Promise.all([page.waitForURL(`${site}/feed/`), page.click("button[type=submit]")]);
  assert.equal(await page.locator("section.herald-feed").getAttribute("data-topics"), '["user-1"]');
  const items = page.locator("section.herald-feed li");
  const waitForItem = (text) => page.waitForFunction(
    (want) => [...document.querySelectorAll("section.herald-feed li")].some((li) => li.textContent === want),
    text, { timeout: WAIT_MS });
  await waitForItem("published before the script connected");
  await page.waitForFunction(() => document.querySelector(".herald-state").textContent === "live",
    null, { timeout: WAIT_MS });

  await publish(herald.base, "for bob", { topic: "user-2", token: "s3cret" });
  const status = await page.evaluate(async () => {
    const form = document.querySelector("form[action='/announce/']");
    form.elements.text.value = "announced by a view";
    return (await fetch("/announce/", { method: "POST", body: new FormData(form) })).status;
  });
  assert.equal(status, 200);
  await waitForItem("announced by a view");
  assert.deepEqual(await items.allTextContents(),
    ["announced by a view", "published before the script connected"], "and never Bob's");
  return context;
}

/**
 * One origin for an app and herald, as an intranet's front proxy gives:
 * /herald/… goes to herald (without the prefix), the rest to Django.
 * Bodies and event streams are piped through as they come.
 */
async function startPathProxy() {
  const targets = { herald: 0, django: 0 };
  const server = http.createServer((req, res) => {
    const toHerald = req.url.startsWith("/herald/");
    const upstream = http.request({
      host: "127.0.0.1", port: toHerald ? targets.herald : targets.django,
      path: toHerald ? req.url.slice("/herald".length) : req.url,
      method: req.method, headers: req.headers, agent: false,
    }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, targets,
    close() { server.closeAllConnections(); server.close(); } };
}

/** Starts the Django project on a free port; herald will be at `heraldBase`. */
async function serveDjango(heraldBase, publicUrl = "") {
  const root = new URL("../../python/", import.meta.url).pathname;
  const child = spawn("python3", [path.join(root, "tests/django_project/serve.py"), "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env, PYTHONPATH: root, HERALD_URL: heraldBase, HERALD_PUBLIC_URL: publicUrl,
      HERALD_PUBLISH_TOKEN: "s3cret",
    },
  });
  let said = "";
  child.stderr.on("data", (chunk) => { said += chunk; });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("django did not start: " + said)), WAIT_MS);
    child.stdout.on("data", (chunk) => {
      const match = String(chunk).match(/django listening on (http:\/\/\S+)/);
      if (match) { clearTimeout(timer); resolve(match[1]); }
    });
    child.on("exit", (code) => reject(new Error(`django exited with ${code}: ${said}`)));
  });
  return { base, close() { child.kill("SIGKILL"); } };
}

/** A port nothing listens on now, for a server to take. */
async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** The stub app for "private-topics": a login page and herald's auth hook. */
async function serveLoginApp() {
  const ALICE = { listen: ["alice", "team"], publish: ["team"], ttl: 60, user: "alice" };
  // For "here-now": two more people on the team, one named with markup.
  const OTHERS = {
    bob: { listen: ["team"], publish: [], ttl: 60, user: "bob" },
    mallory: { listen: ["team"], publish: [], ttl: 60, user: "<img src=x onerror=alert(1)>" },
  };
  const calls = { listen: 0, publish: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://app");
    if (url.pathname === "/login") {
      res.writeHead(200, {
        "Content-Type": "text/plain",
        "Set-Cookie": `session=${url.searchParams.get("user")}; Path=/; HttpOnly; SameSite=Lax`,
      });
      return res.end(`logged in as ${url.searchParams.get("user")}`);
    }
    if (req.method !== "POST" || url.pathname !== "/herald/auth") {
      res.writeHead(404);
      return res.end();
    }
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => {
      calls[JSON.parse(body).action]++;
      const session = /(?:^|;\s*)session=([^;]*)/.exec(req.headers.cookie || "");
      const grant = !session ? null : session[1] === "alice" ? ALICE : OTHERS[session[1]];
      if (!grant) { res.writeHead(401); return res.end(); }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(grant));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${server.address().port}`, calls, close() { server.close(); } };
}

/** The README's htmx page swaps herald's events in, from its own origin. */
async function htmxScenario({ herald, browser }, pageBase) {
  // Listening before the page opens: htmx may connect while it loads.
  const context = await browser.newContext();
  const answers = [];
  context.on("response", (response) => {
    if (response.url().includes("/events?")) answers.push(response.headers());
  });
  const page = await openPage(context, pageBase);
  // The stream is open once herald counts its listener.
  await until(async () => (await stats(herald.base)).listeners === 1, "htmx to open the stream");
  await publish(herald.base, "<li>build 4812 is live</li>", { topic: "deploys" });
  await publish(herald.base, "<li>elsewhere</li>", { topic: "other" });
  await publish(herald.base, "<li>build 4813 is live</li>", { topic: "deploys" });
  await page.waitForFunction(() => document.querySelectorAll("ul li").length === 2, null, { timeout: WAIT_MS });
  assert.deepEqual(await page.locator("ul li").allTextContents(),
    ["build 4813 is live", "build 4812 is live"]);
  return answers;
}

/**
 * The README's htmx page of live state: one element per key, swapped by
 * the event type the publisher gave (the key's name). It opens with the
 * current values, follows each change in place, and after a reconnect that
 * missed more than the history holds shows the current values again.
 */
scenarios["htmx-state"] = async function ({ herald, browser }) {
  const set = (key, html) => publish(herald.base, html, { topic: "builds", key, event: `build-${key}` });
  await set("main", "<b>passing</b>");
  const proxy = await startProxy(herald.port);
  const page = await openPage(await browser.newContext(), `${proxy.base}/`);
  const shown = (key) => page.locator(`[sse-swap="build-${key}"]`).innerHTML();
  const waitFor = (key, html) => until(async () => (await shown(key)) === html, `${key} to show ${html}`);
  await waitFor("main", "<b>passing</b>");
  await until(async () => (await stats(herald.base)).listeners === 1, "htmx to hold the stream");
  await set("dev", "<b>failing</b>");
  await waitFor("dev", "<b>failing</b>");
  proxy.down();
  await until(async () => (await stats(herald.base)).listeners === 0, "the stream to drop");
  await set("main", "<b>broken</b>");
  await set("dev", "<b>fixed</b>");
  for (let n = 0; n < 8; n++) await publish(herald.base, `<i>${n}</i>`, { topic: "other" });
  proxy.up();
  await waitFor("main", "<b>broken</b>");
  await waitFor("dev", "<b>fixed</b>");
  proxy.close();
};

scenarios["htmx-other-origin"] = async function ({ herald, browser, site }) {
  const answers = await htmxScenario({ herald, browser }, site.base);
  assert.equal(answers[0]["access-control-allow-origin"], site.base);
  assert.equal(answers[0]["access-control-allow-credentials"], "true",
    "htmx's stream is credentialed: herald must say credentials are allowed");
};

scenarios["htmx-same-origin"] = async function ({ herald, browser }) {
  await htmxScenario({ herald, browser }, herald.base);
};

/** The README's htmx page and the two scripts it loads, from node_modules. */
function htmxFiles(heraldBase, marker = "<!-- recipe: htmx -->") {
  const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = readme.split(marker)[1].match(/```html\n([\s\S]*?)```/)[1];
  const modules = new URL("./node_modules/", import.meta.url);
  return {
    "index.html": block.replaceAll("http://127.0.0.1:8000", heraldBase),
    "static/htmx.min.js": fs.readFileSync(new URL("htmx.org/dist/htmx.min.js", modules)),
    "static/sse.js": fs.readFileSync(new URL("htmx-ext-sse/dist/sse.js", modules)),
  };
}

/** A --www folder holding the htmx page, for herald to serve itself. */
function htmxFolder(marker) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-htmx-"));
  for (const [name, bytes] of Object.entries(htmxFiles("", marker))) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), bytes);
  }
  return dir;
}

/** Serves the htmx page on a port of its own (another origin). */
async function serveHtmxPage() {
  let files = {};
  const server = http.createServer((req, res) => {
    const name = req.url === "/" ? "index.html" : req.url.slice(1);
    if (!(name in files)) { res.writeHead(404); return res.end(); }
    const type = name.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript";
    res.writeHead(200, { "Content-Type": type });
    res.end(files[name]);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    useHerald(base) { files = htmxFiles(base); },
    close() { server.close(); },
  };
}

/**
 * Serves the README's example page on a port of its own; `useHerald(base)`
 * puts herald's address in place of the README's.
 */
async function serveExamplePage() {
  const readme = fs.readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const block = readme.split("<!-- example-page -->")[1].match(/```html\n([\s\S]*?)```/)[1];
  let html = block;
  const server = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(html);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    useHerald(base) { html = block.replaceAll("http://127.0.0.1:8000", base); },
    close() { server.close(); },
  };
}

// ---- main -----------------------------------------------------------------------------

/**
 * The README's quick start, against the herald the recipe started (`--url`):
 * its three messages, newest first with their labels, "live", and a second
 * tab that sees what the first types.
 */
scenarios["quick-start"] = async function ({ herald, browser }) {
  const context = await browser.newContext();
  const page = await openPage(context, `${herald.base}/`);
  await waitForMessage(page, "deploy of build 4812 finished");
  assert.deepEqual((await feedItems(page)).map((item) => [item.text, item.labels]), [
    ["backup done", ["ops"]], ["disk 91% full", ["alert"]], ["deploy of build 4812 finished", []],
  ], "all three, newest first, the alert and the ops one labelled");
  await waitForStatus(page, "live");
  assert.equal(await page.locator("#status").textContent(), "live");
  const second = await openPage(context, `${herald.base}/`);
  await waitForStatus(second, "live");
  await page.fill("#message", "typed in the first tab");
  await page.press("#message", "Enter");
  await waitForMessage(second, "typed in the first tab");
};

/**
 * The README's "Django in five minutes", against the Django and herald the
 * recipe started (`--url` is Django's): log in through the admin, see the
 * feed go live, run the README's publish line (`--publish`) and see its
 * message; logged out, the feed is refused.
 */
scenarios["django-quick-start"] = async function ({ browser }) {
  const site = args.url;
  const page = await openPage(await browser.newContext(), `${site}/admin/login/?next=/`);
  await page.fill("#id_username", args.user);
  await page.fill("#id_password", args.password);
  await Promise.all([page.waitForURL(`${site}/`), page.click("input[type=submit]")]);
  const stateIs = (target, want) => target.waitForFunction(
    (text) => document.querySelector(".herald-state").textContent === text, want,
    { timeout: WAIT_MS });
  await stateIs(page, "live");
  execSync(args.publish, { stdio: "inherit" });
  await page.waitForFunction(
    (want) => [...document.querySelectorAll("section.herald-feed li")].some((li) => li.textContent === want),
    args.message, { timeout: WAIT_MS });
  const stranger = await openPage(await browser.newContext(), `${site}/`);
  await stateIs(stranger, "refused");
};

/** The rows of the "Now" panel: [key, value, datetime] each, in order. */
const nowRows = (page) => page.$$eval("#values li", (rows) => rows.map((row) => [
  row.querySelector(".key").textContent, row.querySelector(".text").textContent,
  row.querySelector("time").dateTime,
]));
const waitForNow = (page, want) => page.waitForFunction((want) => {
  const rows = [...document.querySelectorAll("#values li")]
    .map((row) => row.querySelector(".key").textContent + "=" + row.querySelector(".text").textContent);
  return JSON.stringify(rows) === JSON.stringify(want);
}, want, { timeout: WAIT_MS });

/**
 * Live state on the page: "Now" shows each key's current value with its
 * time, updates a row in place, removes it on delete, keeps keyed events
 * out of the feed, and after a reconnect that missed changes (more than
 * the history holds) shows the right values, deleted keys gone. A second
 * tab, joining the shared stream later, shows the same.
 */
/**
 * "Here now", with the app's login: Alice and Bob, each in a browser of
 * their own, open the team's page; each sees both names (Alice's two tabs
 * are one entry, through the SharedWorker's one stream). A name with
 * markup is shown as text. When Bob's browser closes, he leaves Alice's
 * list; the page of every topic shows no such line.
 */
scenarios["here-now"] = async function ({ herald, browser, app }) {
  const people = (page) => page.locator("#people").textContent();
  const loggedIn = async (user) => {
    const context = await browser.newContext();
    const login = await context.newPage();
    await login.goto(`${app.base}/login?user=${user}`);
    return context;
  };
  const alice = await loggedIn("alice");
  const bob = await loggedIn("bob");
  const room = `${herald.base}/?topic=team`;
  const aliceTab = await openPage(alice, room);
  const aliceAgain = await openPage(alice, room);
  const bobTab = await openPage(bob, room);
  const both = (text) => /alice/.test(text) && /bob/.test(text);
  for (const page of [aliceTab, aliceAgain, bobTab]) {
    await page.waitForFunction(() => {
      const text = document.getElementById("people").textContent;
      return /alice/.test(text) && /bob/.test(text);
    }, null, { timeout: WAIT_MS });
    assert.ok(both(await people(page)));
    assert.equal(await page.locator("#here").isVisible(), true);
  }
  assert.doesNotMatch(await people(aliceTab), /tabs/, "two tabs, one shared stream: one connection");

  const mallory = await loggedIn("mallory");
  await openPage(mallory, room);
  await aliceTab.waitForFunction(() => /onerror/.test(document.getElementById("people").textContent),
    null, { timeout: WAIT_MS });
  assert.equal(await aliceTab.locator("#people img").count(), 0, "a name is text, never markup");

  await bob.close();
  await aliceTab.waitForFunction(() => !/bob/.test(document.getElementById("people").textContent),
    null, { timeout: WAIT_MS });
  assert.match(await people(aliceTab), /alice/);

  const everything = await openPage(alice, herald.base);
  await waitForStatus(everything, "live");
  assert.equal(await everything.locator("#here").isVisible(), false, "no room, no line");
};

scenarios["now-panel"] = async function ({ herald, browser }) {
  const proxy = await startProxy(herald.port);
  const main = await publishTimed(herald.base, "passing", { topic: "builds", key: "main" });
  await publish(herald.base, "failing", { topic: "builds", key: "dev", ttl: "3600" });
  await publish(herald.base, "elsewhere", { topic: "other", key: "x" });
  await publish(herald.base, "a plain message", { topic: "builds" });
  const context = await browser.newContext();
  const page = await openPage(context, `${proxy.base}/?topic=builds`);
  await waitForStatus(page, "live");
  await waitForNow(page, ["dev=failing", "main=passing"]);
  assert.equal(await page.locator("#now").isVisible(), true, "the panel shows once it has values");
  const [, [, , when]] = await nowRows(page);
  assert.ok(Math.abs(Date.parse(when) - main.at) < 1000, `main keeps its own time: ${when}`);
  await waitForMessage(page, "a plain message");
  assert.deepEqual(await feedTexts(page), ["a plain message"], "values are not news");

  await page.evaluate(() => { document.querySelector("#values li:last-child").dataset.mark = "kept"; });
  await publish(herald.base, "broken", { topic: "builds", key: "main" });
  await waitForNow(page, ["dev=failing", "main=broken"]);
  assert.equal(await page.locator("#values li[data-mark=kept]").count(), 1, "updated in place");
  await publish(herald.base, "", { topic: "builds", key: "dev", delete: "1" });
  await waitForNow(page, ["main=broken"]);

  proxy.down();
  await waitForStatus(page, "reconnecting");
  // While the tab is away: a key it shows is deleted, others are set.
  await publish(herald.base, "", { topic: "builds", key: "main", delete: "1" });
  await publish(herald.base, "written", { topic: "builds", key: "docs" });
  await publish(herald.base, "gone soon", { topic: "builds", key: "tmp" });
  await publish(herald.base, "", { topic: "builds", key: "tmp", delete: "1" });
  await publish(herald.base, "v2", { topic: "builds", key: "release" });
  // More than --history 5 holds, so the replay cannot reach back.
  for (let n = 0; n < 8; n++) await publish(herald.base, `away ${n}`, { topic: "other" });
  proxy.up();
  await waitForStatus(page, "live");
  await waitForNow(page, ["docs=written", "release=v2"]);

  const second = await openPage(context, `${proxy.base}/?topic=builds`);
  await waitForStatus(second, "live");
  await waitForNow(second, ["docs=written", "release=v2"]);
  await publish(herald.base, "green", { topic: "builds", key: "main" });
  const after = ["docs=written", "main=green", "release=v2"];
  await Promise.all([page, second].map((tab) => waitForNow(tab, after)));
  proxy.close();
};

const EXTRA_ARGS = {
  "here-now": ["--presence-interval", "0.3"],
  "now-panel": ["--history", "5"],
  "full-server": ["--max-clients", "12", "--heartbeat", "0.5"],
  "send-errors": ["--publish-token", "s3cret"],
};

async function main() {
  const scenario = scenarios[args.scenario];
  if (!scenario) throw new Error(`no scenario "${args.scenario}"`);
  // The other-origin scenario needs the page's address before herald starts.
  const site = args.scenario === "other-origin" ? await serveExamplePage()
    : args.scenario === "htmx-other-origin" ? await serveHtmxPage() : null;
  // And the private-topics scenario its app's, for --auth-hook.
  const app = ["private-topics", "here-now"].includes(args.scenario) ? await serveLoginApp() : null;
  // The Django scenarios start Django first, telling it where herald will
  // be; one puts both behind a proxy that serves herald at /herald/.
  const withDjango = args.scenario.startsWith("django-");
  const proxy = args.scenario === "django-behind-a-path" ? await startPathProxy() : null;
  const heraldAddr = withDjango ? `127.0.0.1:${await freePort()}` : "127.0.0.1:0";
  const django = withDjango
    ? await serveDjango(`http://${heraldAddr}`, proxy ? `${proxy.base}/herald` : "") : null;
  if (proxy) {
    django.proxy = proxy;
    proxy.targets.django = Number(new URL(django.base).port);
    proxy.targets.herald = Number(heraldAddr.split(":")[1]);
  }
  const hooked = app || django;
  const extra = site ? ["--cors-origin", site.base]
    : hooked ? ["--auth-hook", `${hooked.base}/herald/auth`, "--publish-token", "s3cret"]
      .concat(EXTRA_ARGS[args.scenario] || [])
      .concat(django && !proxy ? ["--cors-origin", django.base] : [])
    : args.scenario === "htmx-same-origin" ? ["--www", htmxFolder()]
    : args.scenario === "htmx-state"
      ? ["--www", htmxFolder("<!-- recipe: htmx-state -->"), "--history", "5"]
    : EXTRA_ARGS[args.scenario] || [];
  // A README recipe has started herald itself and says where (`--url`).
  const herald = args.url ? { base: args.url, child: null }
    : await startHerald(extra, heraldAddr);
  if (site) site.useHerald(herald.base);
  const browser = await launch();
  try {
    await scenario({ herald, browser, site, app, django });
  } finally {
    await browser.close();
    if (herald.child) await stopHerald(herald);
    if (site) site.close();
    if (app) app.close();
    if (django) django.close();
    if (proxy) proxy.close();
  }
  console.log(`scenario ${args.scenario}: passed`);
}

main().then(() => process.exit(0), (error) => {
  console.error(`scenario ${args.scenario}: FAILED\n${error.stack || error}`);
  process.exit(1);
});
