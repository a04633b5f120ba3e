// The plain JavaScript baseline of issue #7: what a typical JS explorer does with the same page
// bytes. TextDecoder + JSON.parse per page; every changed field becomes one flat event object
// with the attributes our store indexes (lower-cased once, at ingest); a query is parsed into
// clauses and each keystroke filters every event with lower-cased `includes`; facets are counted
// with Maps. No interning, no narrowing, no index: the approach, not a strawman.

const decoder = new TextDecoder();
const QUALIFIERS = new Set(['type', 'field', 'source', 'mode', 'user', 'request', 'value', 'before', 'after']);
const SEP = '\u0001';

// audit-core's EventKind::from_label and EventKind::name: both API generations' labels, one kind.
const KIND_NAMES = {
  identifier: 'Identifier', standardfield: 'Standard Field', extendedfield: 'Extended Field',
  customfield: 'Custom Field', commchannel: 'Communication Channel',
  communicationchannel: 'Communication Channel', customerstatus: 'Customer Status',
  cardstatus: 'Card Status', subscriptionstatus: 'Subscription Status',
  subscription: 'Subscription Status', customermerge: 'Customer Merge', merge: 'Customer Merge',
  cardcustomfield: 'Card Custom Field', cardextendedfield: 'Card Extended Field',
};
const ALL_KINDS = [...new Set(Object.values(KIND_NAMES)), 'Other'];

function kindOf(label) {
  let key = String(label ?? '').toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
  if (key.endsWith('s') && !key.endsWith('status')) key = key.slice(0, -1);
  return KIND_NAMES[key] ?? 'Other';
}

// The values of an object member (user context, till, store, merge details), as text.
function valuesOf(o) {
  if (o == null || typeof o !== 'object') return [];
  return Object.values(o).filter((v) => v != null).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v)));
}

function userOf(r) {
  if (r.updatedByUser != null) return String(r.updatedByUser);
  const agent = r.userContextDetails?.entitySourceId;
  if (agent != null) return String(agent);
  if (r.updatedBy == null) return '(unknown)';
  return String(r.updatedBy) === '-1' ? 'system (#-1)' : `#${r.updatedBy}`;
}

export class Baseline {
  constructor() {
    this.events = [];
  }

  // One page of API bytes into flat, searchable event objects.
  ingestPage(bytes) {
    const page = JSON.parse(decoder.decode(bytes));
    for (const r of page.data ?? []) {
      const user = userOf(r);
      const source = r.source == null ? '(none)' : String(r.source).toUpperCase();
      const mode = r.updatedByMode ?? '(none)';
      const recordText = [
        r.updatedByUser, r.updatedBy, r.entityType, r.source, r.updatedByMode, r.requestId, r.entityId,
        ...valuesOf(r.till), ...valuesOf(r.store), ...valuesOf(r.userContextDetails),
        ...valuesOf(r.victimUserDetails), ...valuesOf(r.survivorUserDetails),
      ].filter((v) => v != null).join(SEP);
      const time = r.autoUpdateTime ?? r.createdOn ?? 0;
      for (const e of r.events ?? []) {
        const af = e.additionalFields ?? {};
        const values = valuesOf(af);
        const field = e.updatedField ?? '';
        const channel = af.communication_channel_type;
        const fieldKey = channel == null
          ? field
          : `${field} (${[channel, af.priority, af.org_source].filter((v) => v != null).join(', ')})`;
        const kind = kindOf(e.eventType);
        const own = [e.eventType, e.updatedField, ...values, ...(e.associateEntities ?? []).flatMap(valuesOf)]
          .filter((v) => v != null).join(SEP);
        this.events.push({
          time,
          type: e.eventType ?? '',
          kind,
          field,
          fieldKey,
          previous: af.previousValue,
          current: af.currentValue,
          user,
          source,
          mode,
          requestId: r.requestId ?? '',
          entityId: r.entityId,
          // Lower-cased once here, so a keystroke is only `includes`.
          typeLower: `${e.eventType ?? ''}${SEP}${kind}`.toLowerCase(),
          fieldLower: fieldKey.toLowerCase(),
          sourceLower: source.toLowerCase(),
          modeLower: mode.toLowerCase(),
          userLower: `${user}${SEP}${r.updatedByUser ?? ''}${SEP}${r.updatedBy ?? ''}`.toLowerCase(),
          requestLower: String(r.requestId ?? '').toLowerCase(),
          valuesLower: values.join(SEP).toLowerCase(),
          text: `${recordText}${SEP}${own}`.toLowerCase(),
        });
      }
    }
  }

  // Oldest first, as our store keeps them (the data arrives in order, so this is cheap).
  finish() {
    this.events.sort((a, b) => a.time - b.time);
  }

  // Every event matching the query text, by a full filter (no narrowing).
  search(text) {
    const clauses = parse(text);
    return this.events.filter((e) => clauses.every((c) => c.negated !== c.test(e)));
  }

  // Counts of type, field, source, mode and user over `events`, most frequent first.
  facets(events) {
    const maps = [new Map(), new Map(), new Map(), new Map(), new Map()];
    for (const e of events) {
      const keys = [e.kind, e.fieldKey, e.source, e.mode, e.user];
      for (let i = 0; i < 5; i++) maps[i].set(keys[i], (maps[i].get(keys[i]) ?? 0) + 1);
    }
    return maps.map((m) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  }
}

// Whitespace-separated terms, `-` to exclude, `name:value` qualifiers (the same words as ours;
// no quoted phrases or time bounds, which the benchmark's queries do not use).
function parse(text) {
  const clauses = [];
  for (let word of text.split(/\s+/)) {
    if (!word) continue;
    const negated = word.startsWith('-') && word.length > 1;
    if (negated) word = word.slice(1);
    const m = /^([A-Za-z]+):(.+)$/.exec(word);
    const qualifier = m && QUALIFIERS.has(m[1].toLowerCase()) ? m[1].toLowerCase() : null;
    const n = (qualifier ? m[2] : word).toLowerCase();
    clauses.push({ negated, test: tester(qualifier, n) });
  }
  return clauses;
}

function tester(qualifier, n) {
  switch (qualifier) {
    case 'type': {
      const wanted = kindOf(n);
      const kinds = new Set(ALL_KINDS.filter((k) => k.toLowerCase().includes(n) || (wanted !== 'Other' && k === wanted)));
      return (e) => kinds.has(e.kind) || e.typeLower.includes(n);
    }
    case 'field': return (e) => e.fieldLower.includes(n);
    case 'source': return (e) => e.sourceLower.includes(n);
    case 'mode': return (e) => e.modeLower.includes(n);
    case 'user': return (e) => e.userLower.includes(n);
    case 'request': return (e) => e.requestLower.includes(n);
    case 'value': return (e) => e.valuesLower.includes(n);
    case 'before':
    case 'after': return () => true;
    default: return (e) => e.text.includes(n);
  }
}
