/* GridGov's service worker (cases/views/pwa.py): the field worker's pages, categories and
 * cells stay on the phone, so "/" and "/report/" open with no network. Pages and data are
 * asked from the network first (fresh when there is signal) and kept; static files come from
 * the cache first. Reports, visits and verifications made offline wait in IndexedDB
 * (static/js/offline/store.js); Background Sync sends them from here when the signal returns,
 * even with no GridGov page open (the pages send them too: offline/outbox.js). */
"use strict";
const CONFIG = {{ config|safe }};
importScripts(CONFIG.store);
const SHELL = "gridgov-shell-" + CONFIG.version;
const KEPT = "gridgov-kept"; // pages and data: the signed-in worker's own
const NETWORK_WAIT_MS = 6000; // then the kept copy, if there is one

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const shell = await caches.open(SHELL);
    await shell.addAll(CONFIG.shell);
    await Promise.all(CONFIG.pages.concat(CONFIG.data).map((url) => refresh(new Request(url))));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith("gridgov-shell-") && n !== SHELL)
      .map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

// Signing out forgets the worker's pages and data (the next person on this phone must not
// see them); the unsent reports stay, marked with their author.
self.addEventListener("message", (event) => {
  if (event.data === "signed-out") event.waitUntil(caches.delete(KEPT));
});

// Background Sync ("gridgov-outbox", registered by the pages when an item found no network):
// send the outbox of whoever is signed in on this browser now. Failing (still no network)
// asks the browser to try again later.
self.addEventListener("sync", (event) => {
  if (event.tag === "gridgov-outbox") event.waitUntil(sendOutbox());
});

async function sendOutbox() {
  const me = await fetch(CONFIG.me, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .catch(() => null);
  if (!me || me.status >= 500) throw new Error("no network: the outbox waits");
  if (!me.ok) return; // signed out: the items wait for their worker to sign in again
  const { username } = await me.json();
  // A page that claimed an item and was closed mid-send left its claim behind; with no
  // GridGov page open, nobody else is sending, so the worker need not wait for it to lapse.
  const pages = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const summary = await self.GridGovStore.flush({
    user: username,
    owner: "service-worker",
    orphaned: pages.length === 0,
    t: CONFIG.t,
    onSent: async (result) => {
      for (const client of await self.clients.matchAll({ type: "window" })) {
        client.postMessage({ type: "gridgov:sent", item: result.item, data: result.data });
      }
    },
  });
  if (summary.offline) throw new Error("no network: the outbox waits");
}

async function refresh(request) {
  // A page answered by a redirect (to sign-in) or an error is not the worker's page: not kept.
  const response = await fetch(request).catch(() => null);
  if (response && response.ok && !response.redirected) {
    const copy = response.clone();
    await (await caches.open(KEPT)).put(request.url.split("#")[0], copy);
    if (CONFIG.pages.includes(new URL(request.url).pathname)) await keepAssetsOf(response.clone());
  } else if (response && response.redirected && new URL(response.url).pathname === CONFIG.login) {
    await caches.delete(KEPT);
  }
  return response;
}

// The files a kept page names (a page may bring scripts the shell list does not know).
async function keepAssetsOf(page) {
  const html = await page.text();
  const shell = await caches.open(SHELL);
  const named = [...html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
  await Promise.all(named.map(async (url) => {
    if (!(await shell.match(url))) await shell.add(url).catch(() => null);
  }));
}

function timeout(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

async function networkFirst(request) {
  const kept = () => caches.match(request.url.split("#")[0], { cacheName: KEPT });
  const answer = refresh(request);
  const first = await Promise.race([answer, timeout(NETWORK_WAIT_MS)]);
  // A redirect (status 0 to the page) or a refusal is the server's word; no answer, or a
  // proxy's 5xx while the app is down, is an outage: the kept copy then.
  if (first && first.status < 500) return first;
  const copy = await kept();
  if (copy) return copy;
  return first || (await answer) || Response.error();
}

async function cacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  const path = url.pathname;
  if (path.startsWith(CONFIG.static)) {
    event.respondWith(cacheFirst(request));
  } else if ((CONFIG.pages.includes(path) && request.mode === "navigate" && !url.search)
             || (CONFIG.data.includes(path) && !url.search)) {
    event.respondWith(networkFirst(request));
  }
});
