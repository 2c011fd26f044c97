// A cancellation request's status and the shop's message about it, announced to screen readers as it changes;
// once cancelled, what happens to the money (worded by the app for the shop's policy).
import {isFinal, refundMessage} from './backend.js';

const TONES = {cancelled: 'success', rejected: 'warning', failed: 'critical'};

export function RequestStatus({request, order}) {
  const {translate} = shopify.i18n;
  const refund = request.status === 'cancelled' ? refundMessage(order) : '';
  return (
    <s-banner heading={translate(`status.${request.status}`)} tone={TONES[request.status] || 'info'}>
      <s-stack direction="block" gap="small-100" accessibilityRole="status">
        {request.message ? <s-paragraph>{request.message}</s-paragraph> : null}
        {refund ? <s-paragraph>{refund}</s-paragraph> : null}
        {isFinal(request) ? null : <s-paragraph>{translate('status.updates')}</s-paragraph>}
      </s-stack>
    </s-banner>
  );
}
