// The order's cancellation state, read from the backend and followed while a request is open (and, with
// ``follow``, while the order can still be cancelled, so that a request made elsewhere shows up). ``reload``
// reads the order again (e.g. once an edit of it is done).
import {useCallback, useEffect, useState} from 'preact/hooks';

import {fetchOrder, fetchRequest, isFinal, nextPoll, POLL_MILLISECONDS} from './backend.js';

export function useCancellation(orderId, {follow = false} = {}) {
  const [order, setOrder] = useState(null);
  const [request, setRequest] = useState(null);
  const [error, setError] = useState(null);
  const [pause, setPause] = useState(POLL_MILLISECONDS);
  const [reads, setReads] = useState(0);

  useEffect(() => {
    if (!orderId) return undefined;
    let stopped = false;
    fetchOrder(orderId)
      .then((found) => {
        if (stopped) return;
        setOrder(found);
        setRequest(found.request);
      })
      .catch((failure) => !stopped && setError(failure));
    return () => {
      stopped = true;
    };
  }, [orderId, reads]);

  useEffect(() => {
    const again = (read) => {
      const timer = setTimeout(() => {
        setPause(nextPoll(pause));
        read().catch(setError);
      }, pause);
      return () => clearTimeout(timer);
    };
    if (request && !isFinal(request)) {
      return again(() => fetchRequest(orderId).then(setRequest));
    }
    if (follow && !request && order?.eligible) {
      return again(() =>
        fetchOrder(orderId).then((found) => {
          setOrder(found);
          setRequest(found.request);
        }),
      );
    }
    return undefined;
  }, [orderId, request, order, follow, pause]);

  // A new request (made in the modal, or found by the block) is followed closely again.
  useEffect(() => setPause(POLL_MILLISECONDS), [request?.id, request?.status]);

  const reload = useCallback(() => setReads((count) => count + 1), []);
  return {order, request, setRequest, error, reload};
}
