// An edit's status and the shop's message about it, announced to screen readers as it changes; once applied, what
// comes back to the shopper (the app's figure). Used by the order-status block and the edit page.
import {formatMoney, isFinal} from './backend.js';

const TONES = {applied: 'success', rejected: 'warning', failed: 'critical'};

export function EditStatus({edit}) {
  const {translate} = shopify.i18n;
  const refund = edit.status === 'applied' && edit.refund ? formatMoney(edit.refund) : '';
  return (
    <s-banner heading={translate(`edit_status.${edit.status}`)} tone={TONES[edit.status] || 'info'}>
      <s-stack direction="block" gap="small-100" accessibilityRole="status">
        {edit.message ? <s-paragraph>{edit.message}</s-paragraph> : null}
        {refund ? <s-paragraph>{translate('edit_status.refunded', {amount: refund})}</s-paragraph> : null}
        {isFinal(edit) ? null : <s-paragraph>{translate('status.updates')}</s-paragraph>}
      </s-stack>
    </s-banner>
  );
}
