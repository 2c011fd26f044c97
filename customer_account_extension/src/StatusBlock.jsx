// customer-account.order-status.block.render: on the order status page, the request's status and the shop's
// message, followed live while it is open; or the time left while the order can still be cancelled. Below it, while
// the order can be changed, until when and a link to the edit page (customer_account_edit_extension/); an open edit's
// status, followed until it is final.
import '@shopify/ui-extensions/preact';
import {render} from 'preact';

import {editPageUrl, editUntil, isFinal, timeLeft} from './backend.js';
import {EditStatus} from './EditStatus.jsx';
import {RequestStatus} from './RequestStatus.jsx';
import {useCancellation} from './useCancellation.js';
import {useEdit} from './useEdit.js';

export default async () => {
  render(<StatusBlock />, document.body);
};

function StatusBlock() {
  const {translate} = shopify.i18n;
  const orderId = shopify.order.value?.id;
  // Followed while the order can be cancelled too: a request made in the modal shows here without a reload.
  const {order, request, reload} = useCancellation(orderId, {follow: true});
  // Once an edit is done the order is read again: its items changed, and it may be changed again.
  const {edit, followed} = useEdit(orderId, order?.edit, reload);
  if (!order) return null;
  let cancelling = null;
  if (request) {
    cancelling = <RequestStatus request={request} order={order} />;
  } else if (order.eligible && order.cancel_deadline) {
    cancelling = <s-paragraph>{timeLeft(order.cancel_deadline)}</s-paragraph>;
  }
  const showEdit = edit && (!isFinal(edit) || followed);
  return (
    <>
      {cancelling ? <s-section heading={translate('block.heading')}>{cancelling}</s-section> : null}
      {showEdit || order.editable ? (
        <s-section heading={translate('block.edit_heading')}>
          <s-stack direction="block" gap="small-100">
            {showEdit ? <EditStatus edit={edit} /> : null}
            {order.editable ? <s-paragraph>{editUntil(order)}</s-paragraph> : null}
            <s-link href={editPageUrl(orderId)}>
              {translate(order.editable ? 'block.edit_link' : 'block.edit_details')}
            </s-link>
          </s-stack>
        </s-section>
      ) : null}
    </>
  );
}
