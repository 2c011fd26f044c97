// The admin's pages are paths under /admin (the server answers each with this same document). Links and App
// Bridge's navigation menu move between them without reloading: App Bridge dispatches `shopify:navigate` on a
// menu link it was asked to follow.
import { useEffect, useState } from "react";

export const BASE = "/admin";

function here() {
  return { path: window.location.pathname, params: Object.fromEntries(new URLSearchParams(window.location.search)) };
}

// The embedding admin's parameters stay on every address of the app, as App Bridge keeps them: a page opened
// anew (a reload, a row of an index table, a new tab) is still in the merchant's language and shop.
const CONTEXT = ["shop", "host", "locale", "embedded"];

export function withContext(to) {
  const target = new URL(to, window.location.href);
  const current = new URLSearchParams(window.location.search);
  CONTEXT.forEach((name) => {
    if (current.has(name) && !target.searchParams.has(name)) target.searchParams.set(name, current.get(name));
  });
  return target.pathname + target.search;
}

export function navigate(to, { replace = false } = {}) {
  const url = withContext(to);
  if (replace) window.history.replaceState({}, "", url);
  else window.history.pushState({}, "", url);
  window.dispatchEvent(new PopStateEvent("popstate"));
  window.scrollTo(0, 0);
}

export function useRoute() {
  const [route, setRoute] = useState(here);
  useEffect(() => {
    const changed = () => setRoute(here());
    const menu = (event) => {
      const href = event.target && event.target.getAttribute && event.target.getAttribute("href");
      if (href) navigate(href);
    };
    window.addEventListener("popstate", changed);
    document.addEventListener("shopify:navigate", menu);
    return () => {
      window.removeEventListener("popstate", changed);
      document.removeEventListener("shopify:navigate", menu);
    };
  }, []);
  return route;
}

export function internal(url) {
  return typeof url === "string" && url.startsWith(`${BASE}/`) && !url.startsWith(`${BASE}/api/`);
}
