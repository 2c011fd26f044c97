// customer-account.order.action.menu-item.render: "Cancel order" while the order can be cancelled,
// "Cancellation status" once the shopper asked, else "Change order" while the order can still be changed, nothing
// otherwise (never a button that leads nowhere). The first two have no handler of their own: Shopify opens this
// extension's modal (CancelAction.jsx) from them. "Change order" navigates to the edit page (its href).
import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useEffect, useState} from 'preact/hooks';

import {editPageUrl, fetchOrder} from './backend.js';

export default async () => {
  render(<MenuItem />, document.body);
};

function MenuItem() {
  const [order, setOrder] = useState(null);
  useEffect(() => {
    fetchOrder(shopify.orderId).then(setOrder).catch(() => setOrder(null));
  }, []);
  if (order?.request) return <s-button>{shopify.i18n.translate('menu.status')}</s-button>;
  if (order?.eligible) return <s-button>{shopify.i18n.translate('menu.cancel')}</s-button>;
  if (order?.editable) {
    return <s-button href={editPageUrl(shopify.orderId)}>{shopify.i18n.translate('menu.edit')}</s-button>;
  }
  return null;
}
