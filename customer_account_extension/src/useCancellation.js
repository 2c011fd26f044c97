// The order's cancellation state, read from the backend and followed while a request is open (and, with
// ``follow``, while the order can still be cancelled, so that a request made elsewhere shows up).
import {useEffect, useState} from 'preact/hooks';

import {fetchOrder, fetchRequest, isFinal, POLL_MILLISECONDS} from './backend.js';

export function useCancellation(orderId, {follow = false} = {}) {
  const [order, setOrder] = useState(null);
  const [request, setRequest] = useState(null);
  const [error, setError] = useState(null);

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
  }, [orderId]);

  useEffect(() => {
    if (request && !isFinal(request)) {
      const timer = setTimeout(() => fetchRequest(orderId).then(setRequest).catch(setError), POLL_MILLISECONDS);
      return () => clearTimeout(timer);
    }
    if (follow && !request && order?.eligible) {
      const timer = setTimeout(
        () =>
          fetchOrder(orderId)
            .then((found) => {
              setOrder(found);
              setRequest(found.request);
            })
            .catch(setError),
        POLL_MILLISECONDS,
      );
      return () => clearTimeout(timer);
    }
    return undefined;
  }, [orderId, request, order, follow]);

  return {order, request, setRequest, error};
}
