import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api.js";

// Loads `path` (again whenever it changes); `reload` fetches it anew without clearing what is shown.
export function useApi(path) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  // Every load and every answer put in place counts; a load answered after a newer one is dropped (a poll in
  // flight while an action's answer arrives must not bring the older state back).
  const generation = useRef(0);
  const load = useCallback(async () => {
    generation.current += 1;
    const mine = generation.current;
    try {
      const data = await api("GET", path);
      if (generation.current === mine) setState({ data, error: null, loading: false });
      return data;
    } catch (error) {
      if (generation.current === mine) setState((before) => ({ data: before.data, error, loading: false }));
      return null;
    }
  }, [path]);
  useEffect(() => {
    setState((before) => ({ ...before, loading: true }));
    load();
  }, [load]);
  const replace = useCallback((data) => {
    generation.current += 1;
    setState({ data, error: null, loading: false });
  }, []);
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
