// What the shopper changes on the edit page: the form's values against the order (the storefront contract's
// `line_items`, `shipping_address`, `edits_offered`), turned into what POST .../edits takes and into the contract's
// change shape for the summary. No `shopify` here, so tests run it in Node (tests/theme/test_customer_account_edit.py).

// The address fields in the order the form shows them: contract key, label key, browser autofill token.
export const ADDRESS_FIELDS = [
  ['first_name', 'address.first_name', 'shipping given-name'],
  ['last_name', 'address.last_name', 'shipping family-name'],
  ['company', 'address.company', 'shipping organization'],
  ['address1', 'address.address1', 'shipping address-line1'],
  ['address2', 'address.address2', 'shipping address-line2'],
  ['zip', 'address.zip', 'shipping postal-code'],
  ['city', 'address.city', 'shipping address-level2'],
  ['province_code', 'address.province_code', 'shipping address-level1'],
  ['country_code', 'address.country_code', 'shipping country'],
  ['phone', 'address.phone', 'shipping tel'],
];
// What the backend needs of a new address (400 invalid_address otherwise).
export const REQUIRED_ADDRESS_FIELDS = ['address1', 'city', 'country_code'];

function variantOf(line) {
  return line.variant_id == null ? '' : String(line.variant_id);
}

// The form as it starts: every line as ordered, the address as it is.
export function initialForm(order) {
  const lines = {};
  for (const line of order.line_items || []) lines[line.id] = {quantity: line.quantity, variant: variantOf(line)};
  const address = {};
  for (const [field] of ADDRESS_FIELDS) address[field] = order.shipping_address?.[field] ?? '';
  return {lines, address};
}

export function canLowerQuantity(order, line) {
  return Boolean(order.edits_offered?.quantities) && line.editable_quantity > 0;
}

// The lines with something to change: a quantity to lower, or another variant to pick.
export function changeableLines(order) {
  return (order.line_items || []).filter((line) => canLowerQuantity(order, line) || line.variant_options.length > 0);
}

// A line's quantities, from as ordered down to what may be taken off (shipped units stay).
export function quantityChoices(line) {
  const lowest = Math.max(0, line.quantity - line.editable_quantity);
  const choices = [];
  for (let quantity = line.quantity; quantity >= lowest; quantity -= 1) choices.push(quantity);
  return choices;
}

// Whitespace collapsed as the backend does; empty is null.
function clean(value) {
  const text = typeof value === 'string' ? value.split(/\s+/).filter(Boolean).join(' ') : '';
  return text || null;
}

/**
 * The form against the order: `lineItems` and `address` for POST .../edits (only what changes; address null when
 * untouched), `changes` in the contract's shape (type quantity | variant | shipping_address), `refund` the units
 * taken off at the price paid ({amount, currency_code}, or null when nothing gets cheaper), and `missing` the
 * required address fields left empty.
 */
export function planEdit(order, form) {
  const lineItems = [];
  const changes = [];
  let takenOff = 0;
  let currency = order.total_money?.currency_code || null;
  for (const line of order.line_items || []) {
    const wanted = form.lines[line.id];
    if (!wanted) continue;
    const quantity = Number(wanted.quantity);
    const swap = quantity > 0 && wanted.variant && wanted.variant !== variantOf(line) ? Number(wanted.variant) : null;
    if (quantity === line.quantity && swap === null) continue;
    lineItems.push({id: line.id, quantity, ...(swap === null ? {} : {variant_id: swap})});
    const change = {
      type: swap === null ? 'quantity' : 'variant',
      line_item_id: line.id,
      title: line.title,
      variant_title: line.variant_title,
      from_quantity: line.quantity,
      to_quantity: quantity,
    };
    if (swap !== null) {
      const option = line.variant_options.find((item) => item.variant_id === swap);
      Object.assign(change, {variant_id: swap, new_variant_title: option ? option.title : ''});
    }
    changes.push(change);
    if (line.unit_price) {
      takenOff += (line.quantity - quantity) * Number(line.unit_price.amount);
      currency = line.unit_price.currency_code || currency;
    }
  }
  let address = null;
  let missing = [];
  const before = initialForm(order).address;
  const touched = ADDRESS_FIELDS.some(([field]) => (form.address[field] ?? '') !== before[field]);
  if (touched && order.shipping_address && order.edits_offered?.shipping_address) {
    address = Object.fromEntries(ADDRESS_FIELDS.map(([field]) => [field, clean(form.address[field])]));
    if (address.country_code) address.country_code = address.country_code.toUpperCase();
    missing = REQUIRED_ADDRESS_FIELDS.filter((field) => !address[field]);
    changes.push({type: 'shipping_address', shipping_address: address});
  }
  const rounded = Math.round(takenOff * 1e6) / 1e6;
  const refund = rounded > 0 && currency ? {amount: String(rounded), currency_code: currency} : null;
  return {lineItems, address, changes, refund, missing};
}

// An address on one line: "Ada Lovelace, 1 Main St, 1000 Brussels, BE".
export function addressLine(address) {
  const a = address || {};
  const name = [a.first_name, a.last_name].filter(Boolean).join(' ');
  const town = [a.zip, a.city].filter(Boolean).join(' ');
  return [name, a.company, a.address1, a.address2, town, a.province_code, a.country_code]
    .map((part) => (part || '').trim())
    .filter(Boolean)
    .join(', ');
}

// One change as the summary and the status list it, in the words of `translate` (shopify.i18n.translate).
export function describeChange(change, translate) {
  if (change.type === 'shipping_address') {
    return translate('change.address', {address: addressLine(change.shipping_address)});
  }
  if (change.type === 'variant') {
    return translate('change.variant', {
      item: change.title,
      before: change.variant_title || '—',
      after: change.new_variant_title,
      quantity: change.to_quantity,
    });
  }
  const item = change.variant_title ? `${change.title} (${change.variant_title})` : change.title;
  if (change.to_quantity === 0) return translate('change.remove', {item});
  return translate('change.quantity', {item, before: change.from_quantity, after: change.to_quantity});
}
