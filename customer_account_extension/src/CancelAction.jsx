// customer-account.order.action.render: the modal the menu button opens. Shopify's modal is single-step: the menu
// button was the first step, "Confirm cancellation" here is the second. Then the request's status, in place.
import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useState} from 'preact/hooks';

import {refundMessage, requestCancellation, timeLeft} from './backend.js';
import {RequestStatus} from './RequestStatus.jsx';
import {useCancellation} from './useCancellation.js';

const NOTE_MAX = 500;

export default async () => {
  render(<CancelAction />, document.body);
};

function CancelAction() {
  const {translate} = shopify.i18n;
  const {order, request, setRequest, error} = useCancellation(shopify.orderId);
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState(null);

  async function confirm() {
    if (!reason) {
      setProblem(translate('form.choose_reason'));
      return;
    }
    setSending(true);
    setProblem(null);
    try {
      setRequest(await requestCancellation(shopify.orderId, reason, note.trim()));
    } catch (failure) {
      setProblem(failure.message || translate('error.generic'));
    } finally {
      setSending(false);
    }
  }

  const close = (
    <s-button slot="secondary-actions" onClick={() => shopify.close()}>
      {translate(order && !request && order.eligible ? 'action.keep' : 'action.close')}
    </s-button>
  );
  if (error) {
    return (
      <s-customer-account-action heading={translate('action.heading')}>
        <s-banner tone="critical">{error.message || translate('error.generic')}</s-banner>
        {close}
      </s-customer-account-action>
    );
  }
  if (!order) {
    return (
      <s-customer-account-action heading={translate('action.heading')}>
        <s-spinner accessibilityLabel={translate('loading')} />
        {close}
      </s-customer-account-action>
    );
  }
  if (request) {
    return (
      <s-customer-account-action heading={translate('action.status_heading')}>
        <RequestStatus request={request} order={order} />
        {close}
      </s-customer-account-action>
    );
  }
  if (!order.eligible) {
    const reasons = order.ineligible_reasons.map((item) => item.message).join(' ');
    return (
      <s-customer-account-action heading={translate('action.heading')}>
        <s-banner tone="warning">{reasons}</s-banner>
        {close}
      </s-customer-account-action>
    );
  }
  return (
    <s-customer-account-action heading={translate('action.heading')}>
      <s-stack direction="block" gap="base">
        <s-paragraph>
          {translate(order.goes_to_review ? 'action.confirm_text_review' : 'action.confirm_text', {name: order.name})}
        </s-paragraph>
        {refundMessage(order) ? <s-paragraph>{refundMessage(order)}</s-paragraph> : null}
        {order.cancel_deadline ? <s-paragraph>{timeLeft(order.cancel_deadline)}</s-paragraph> : null}
        <s-choice-list
          label={translate('form.reason_label')}
          name="reason"
          values={reason ? [reason] : []}
          onChange={(event) => setReason(event.currentTarget.values[0] || '')}
        >
          {order.reasons.map((item) => (
            <s-choice key={item.code} value={item.code}>
              {item.label}
            </s-choice>
          ))}
        </s-choice-list>
        <s-text-area
          label={translate('form.note_label')}
          details={translate('form.note_hint')}
          maxLength={NOTE_MAX}
          value={note}
          onInput={(event) => setNote(event.currentTarget.value)}
        />
        {problem ? <s-banner tone="critical">{problem}</s-banner> : null}
      </s-stack>
      <s-button slot="primary-action" variant="primary" tone="critical" loading={sending} onClick={confirm}>
        {translate('action.confirm')}
      </s-button>
      {close}
    </s-customer-account-action>
  );
}
