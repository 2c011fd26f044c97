// An order's open edit, followed until it is final: read again after 3 s, then less often (as a cancellation
// request is, backend.js), and again after a failed read. ``onFinal`` runs once the edit became final while
// followed (e.g. to read the order again); ``followed`` says so, for showing a final status the shopper waited for.
import {useEffect, useRef, useState} from 'preact/hooks';

import {fetchEdit, isFinal, nextPoll, POLL_MILLISECONDS} from './backend.js';

export function useEdit(orderId, initial, onFinal) {
  const [edit, setEdit] = useState(initial || null);
  const [followed, setFollowed] = useState(false);
  const [pause, setPause] = useState(POLL_MILLISECONDS);
  const [failures, setFailures] = useState(0);
  const finished = useRef(onFinal);
  finished.current = onFinal;

  // A newer answer about the order (a new edit, or the same one further on) replaces what is shown.
  useEffect(() => {
    if (initial) setEdit(initial);
  }, [initial?.id, initial?.status]);

  useEffect(() => {
    if (!orderId || !edit || isFinal(edit)) return undefined;
    let stopped = false;
    const timer = setTimeout(() => {
      fetchEdit(orderId, edit.id)
        .then((found) => {
          if (stopped) return;
          setPause(nextPoll(pause));
          setEdit(found);
          if (isFinal(found)) {
            setFollowed(true);
            finished.current?.(found);
          }
        })
        .catch(() => {
          if (stopped) return;
          setPause(nextPoll(pause));
          setFailures((count) => count + 1);
        });
    }, pause);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [orderId, edit, pause, failures]);

  // An edit just made (or newly found) is followed closely again.
  useEffect(() => setPause(POLL_MILLISECONDS), [edit?.id]);

  return {edit, setEdit, followed};
}
