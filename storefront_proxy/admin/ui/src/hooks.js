import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api.js";

// Loads `path` (again whenever it changes); `reload` fetches it anew without clearing what is shown.
export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const current = useRef(path);
  const load = useCallback(async () => {
    const asked = path;
    current.current = asked;
    try {
      const data = await api("GET", asked);
      if (current.current === asked) setState({ data, error: null, loading: false });
      return data;
    } catch (error) {
      if (current.current === asked) setState((before) => ({ data: before.data, error, loading: false }));
      return null;
    }
  }, [path]);
  useEffect(() => {
    setState((before) => ({ ...before, loading: true }));
    load();
  }, [load]);
  const replace = useCallback((data) => setState({ data, error: null, loading: false }), []);
  return { ...state, reload: load, replace };
}

// Calls `tick` every `ms` while `active`, skipping ticks while the page is hidden (another tab, a locked phone).
export function usePolling(active, ms, tick) {
  const saved = useRef(tick);
  saved.current = tick;
  useEffect(() => {
    if (!active) return undefined;
    const timer = window.setInterval(() => {
      if (!document.hidden) saved.current();
    }, ms);
    return () => window.clearInterval(timer);
  }, [active, ms]);
}
