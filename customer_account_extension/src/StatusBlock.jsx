// customer-account.order-status.block.render: on the order status page, the request's status and the shop's
// message, followed live while it is open; or the time left while the order can still be cancelled.
import '@shopify/ui-extensions/preact';
import {render} from 'preact';

import {timeLeft} from './backend.js';
import {RequestStatus} from './RequestStatus.jsx';
import {useCancellation} from './useCancellation.js';

export default async () => {
  render(<StatusBlock />, document.body);
};

function StatusBlock() {
  const {translate} = shopify.i18n;
  const orderId = shopify.order.value?.id;
  // Followed while the order can be cancelled too: a request made in the modal shows here without a reload.
  const {order, request} = useCancellation(orderId, {follow: true});
  if (!order) return null;
  if (request) {
    return (
      <s-section heading={translate('block.heading')}>
        <RequestStatus request={request} order={order} />
      </s-section>
    );
  }
  if (!order.eligible || !order.cancel_deadline) return null;
  return (
    <s-section heading={translate('block.heading')}>
      <s-paragraph>{timeLeft(order.cancel_deadline)}</s-paragraph>
    </s-section>
  );
}
