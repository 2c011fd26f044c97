// customer-account.order.page.render: the full page for changing one order. Its editable line items (a lower
// quantity down to 0, another variant of the same price; sold-out ones disabled) and its shipping address (the
// country read-only when the shop keeps it), then "Review changes" → what changes and what comes back →
// "Confirm changes" (two steps), then the edit's status, followed until it is final. The backend's answers and
// errors come from ../customer_account_extension/src/backend.js (the app's message is shown as it is).
import '@shopify/ui-extensions/preact';
import {render} from 'preact';
import {useCallback, useEffect, useState} from 'preact/hooks';

import {
  editUntil,
  fetchOrder,
  formatMoney,
  isFinal,
  orderNumber,
  requestEdit,
} from '../../customer_account_extension/src/backend.js';
import {EditStatus} from '../../customer_account_extension/src/EditStatus.jsx';
import {useEdit} from '../../customer_account_extension/src/useEdit.js';
import {
  ADDRESS_FIELDS,
  REQUIRED_ADDRESS_FIELDS,
  canLowerQuantity,
  changeableLines,
  describeChange,
  initialForm,
  planEdit,
  quantityChoices,
} from './changes.js';

export default async () => {
  render(<EditPage />, document.body);
};

// The order this page is for (Shopify may give it a moment after the first render).
function useOrderId() {
  const [orderId, setOrderId] = useState(shopify.order.value?.id);
  useEffect(() => shopify.order.subscribe?.((order) => setOrderId(order?.id)), []);
  return orderId;
}

function EditPage() {
  const {translate} = shopify.i18n;
  const orderId = useOrderId();
  const [order, setOrder] = useState(null);
  const [error, setError] = useState(null);
  const [form, setForm] = useState(null);
  const [step, setStep] = useState('form');
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState(null);
  const [reads, setReads] = useState(0);
  const reload = useCallback(() => setReads((count) => count + 1), []);

  useEffect(() => {
    if (!orderId) return undefined;
    let stopped = false;
    fetchOrder(orderId)
      .then((found) => {
        if (stopped) return;
        setOrder(found);
        setForm(initialForm(found));
        setStep('form');
      })
      .catch((failure) => !stopped && setError(failure));
    return () => {
      stopped = true;
    };
  }, [orderId, reads]);

  // An edit made here, or found open, is followed; once it is done the order is read again (new items, and it
  // may be changed again).
  const {edit, setEdit} = useEdit(orderId, order?.edit, reload);

  const orderUrl = `shopify:customer-account/orders/${orderNumber(orderId)}`;
  const back = <s-button slot="breadcrumb-actions" href={orderUrl} accessibilityLabel={translate('page.back')} />;
  if (error || !order || !form) {
    return (
      <s-page heading={translate('page.heading_plain')}>
        {back}
        {error ? (
          <s-banner tone="critical">{error.message || translate('error.generic')}</s-banner>
        ) : (
          <s-spinner accessibilityLabel={translate('loading')} />
        )}
      </s-page>
    );
  }

  const plan = planEdit(order, form);
  const open = edit && !isFinal(edit);
  const editable = order.editable && !open;

  function review() {
    if (!plan.changes.length) {
      setProblem(translate('form.no_changes'));
    } else if (plan.missing.length) {
      setProblem(translate('form.address_required'));
    } else {
      setProblem(null);
      setStep('review');
    }
  }

  async function confirm() {
    setSending(true);
    setProblem(null);
    try {
      const created = await requestEdit(orderId, plan.lineItems, plan.address);
      setEdit(created);
      setOrder({...order, editable: false, edit: created});
      setStep('form');
      // Already decided (nothing left to follow): the order as it is now.
      if (isFinal(created)) reload();
    } catch (failure) {
      setProblem(failure.message || translate('error.generic'));
      // Something changed meanwhile (an edit or a cancellation in progress, or too late): show the order as it is.
      if (failure.status === 409) reload();
    } finally {
      setSending(false);
    }
  }

  return (
    <s-page
      heading={translate('page.heading', {name: order.name})}
      subheading={editable ? editUntil(order) : undefined}
    >
      {back}
      <s-stack direction="block" gap="base">
        {edit ? <EditSummary edit={edit} /> : null}
        {problem ? <s-banner tone="critical">{problem}</s-banner> : null}
        {editable && step === 'form' ? (
          <EditForm order={order} form={form} setForm={setForm} onReview={review} />
        ) : null}
        {editable && step === 'review' ? (
          <Review
            order={order}
            plan={plan}
            sending={sending}
            onConfirm={confirm}
            onBack={() => {
              setProblem(null);
              setStep('form');
            }}
          />
        ) : null}
        {!editable && !open ? <NotEditable order={order} orderUrl={orderUrl} /> : null}
      </s-stack>
    </s-page>
  );
}

// The open or latest edit: what it changes and its status.
function EditSummary({edit}) {
  const {translate} = shopify.i18n;
  return (
    <s-section heading={translate('status.heading')}>
      <s-stack direction="block" gap="base">
        <ChangeList changes={edit.changes || []} />
        <EditStatus edit={edit} />
      </s-stack>
    </s-section>
  );
}

function ChangeList({changes}) {
  const {translate} = shopify.i18n;
  return (
    <s-unordered-list>
      {changes.map((change) => (
        <s-list-item key={`${change.type}-${change.line_item_id || ''}`}>
          {describeChange(change, translate)}
        </s-list-item>
      ))}
    </s-unordered-list>
  );
}

function EditForm({order, form, setForm, onReview}) {
  const {translate} = shopify.i18n;
  const offered = order.edits_offered;
  const lines = changeableLines(order);
  // Functional updates: two changes before the next render both count.
  const setLine = (id, values) =>
    setForm((now) => ({...now, lines: {...now.lines, [id]: {...now.lines[id], ...values}}}));
  const setAddress = (field, value) => setForm((now) => ({...now, address: {...now.address, [field]: value}}));
  let help = 'items.help';
  if (!offered.variants) help = 'items.help_quantities';
  else if (!offered.quantities) help = 'items.help_variants';
  return (
    <s-stack direction="block" gap="base">
      {lines.length ? (
        <s-section heading={translate('items.heading')}>
          <s-stack direction="block" gap="base">
            <s-paragraph>{translate(help)}</s-paragraph>
            {lines.map((line) => (
              <LineFields
                key={line.id}
                order={order}
                line={line}
                value={form.lines[line.id]}
                onChange={(values) => setLine(line.id, values)}
              />
            ))}
          </s-stack>
        </s-section>
      ) : null}
      {offered.shipping_address && order.shipping_address ? (
        <s-section heading={translate('address.heading')}>
          <s-stack direction="block" gap="base">
            <s-paragraph>
              {translate(offered.address_same_country ? 'address.help_same_country' : 'address.help')}
            </s-paragraph>
            {ADDRESS_FIELDS.map(([field, label, autocomplete]) =>
              field === 'phone' ? (
                <s-phone-field
                  key={field}
                  label={translate(label)}
                  autocomplete={autocomplete}
                  value={form.address[field]}
                  onInput={(event) => setAddress(field, event.currentTarget.value)}
                />
              ) : (
                <s-text-field
                  key={field}
                  label={translate(label)}
                  autocomplete={autocomplete}
                  value={form.address[field]}
                  maxLength={field === 'country_code' ? 2 : 255}
                  required={REQUIRED_ADDRESS_FIELDS.includes(field)}
                  readOnly={field === 'country_code' && offered.address_same_country}
                  onInput={(event) => setAddress(field, event.currentTarget.value)}
                />
              ),
            )}
          </s-stack>
        </s-section>
      ) : null}
      <s-stack direction="inline" gap="base">
        <s-button variant="primary" onClick={onReview}>
          {translate('form.review')}
        </s-button>
      </s-stack>
    </s-stack>
  );
}

function LineFields({order, line, value, onChange}) {
  const {translate} = shopify.i18n;
  const item = line.variant_title ? `${line.title} (${line.variant_title})` : line.title;
  return (
    <s-stack direction="block" gap="small-200">
      <s-heading>{item}</s-heading>
      {line.unit_price ? (
        <s-text color="subdued">
          {translate('items.line', {quantity: line.quantity, price: formatMoney(line.unit_price)})}
        </s-text>
      ) : null}
      {canLowerQuantity(order, line) ? (
        <s-select
          label={translate('items.quantity_label', {item: line.title})}
          value={String(value.quantity)}
          onChange={(event) => onChange({quantity: Number(event.currentTarget.value)})}
        >
          {quantityChoices(line).map((quantity) => (
            <s-option key={quantity} value={String(quantity)}>
              {quantity === 0 ? translate('items.quantity_remove') : String(quantity)}
            </s-option>
          ))}
        </s-select>
      ) : null}
      {line.variant_options.length ? (
        <s-select
          label={translate('items.variant_label', {item: line.title})}
          value={value.variant}
          disabled={value.quantity === 0}
          onChange={(event) => onChange({variant: event.currentTarget.value})}
        >
          <s-option value={String(line.variant_id)}>
            {translate('items.variant_as_ordered', {variant: line.variant_title || line.title})}
          </s-option>
          {line.variant_options.map((option) => (
            <s-option key={option.variant_id} value={String(option.variant_id)} disabled={!option.available}>
              {option.available ? option.title : translate('items.variant_sold_out', {variant: option.title})}
            </s-option>
          ))}
        </s-select>
      ) : null}
    </s-stack>
  );
}

// What the review says about the money: the total stays; or what comes back and where (the order's
// `edit_refund_method`); or, when nothing is refunded (null), that the total is lower: the payment is only
// authorized, so the lower total is what gets charged, or the shop's policy refunds nothing.
function moneySentence(order, plan, translate) {
  if (!plan.lineItems.length) return '';
  if (!plan.refund) return translate('review.same_total');
  const amount = formatMoney(plan.refund);
  if (order.edit_refund_method === 'store_credit') return translate('review.refund_store_credit', {amount});
  if (order.edit_refund_method) return translate('review.refund', {amount});
  if (order.refund?.method === 'none') return translate('review.lower_no_refund', {amount});
  return translate('review.lower_not_charged', {amount});
}

// The second step: what changes, what comes back, who decides; then "Confirm changes" or back to the form.
function Review({order, plan, sending, onConfirm, onBack}) {
  const {translate} = shopify.i18n;
  const money = moneySentence(order, plan, translate);
  let next = '';
  if (order.goes_to_review) next = translate('review.review_note');
  else if (order.refund?.customer_notified) next = translate('review.email');
  return (
    <s-section heading={translate('review.heading')}>
      <s-stack direction="block" gap="base">
        <ChangeList changes={plan.changes} />
        {money ? <s-paragraph>{money}</s-paragraph> : null}
        {next ? <s-paragraph>{next}</s-paragraph> : null}
        <s-stack direction="inline" gap="base">
          <s-button variant="primary" loading={sending} onClick={onConfirm}>
            {translate('review.confirm')}
          </s-button>
          <s-button variant="secondary" disabled={sending} onClick={onBack}>
            {translate('review.back')}
          </s-button>
        </s-stack>
      </s-stack>
    </s-section>
  );
}

// Why the order can't be changed (here) now, and the way back to it.
function NotEditable({order, orderUrl}) {
  const {translate} = shopify.i18n;
  const reasons = (order.edit_ineligible_reasons || []).map((reason) => reason.message).filter(Boolean);
  let text = reasons.join(' ');
  if (!text) text = translate(order.request && !isFinal(order.request) ? 'page.busy' : 'page.not_editable');
  return (
    <s-stack direction="block" gap="base">
      <s-banner tone="warning">{text}</s-banner>
      <s-link href={orderUrl}>{translate('page.back')}</s-link>
    </s-stack>
  );
}
