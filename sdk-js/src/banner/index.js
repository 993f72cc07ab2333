// The consent banner: a lazily loaded chunk the core SDK injects only when the
// gateway's settings call for it. Everything it shows comes from the gateway.
// Rendered in a shadow root (the host page's CSS cannot reach it, its CSS
// cannot reach the page) fixed over the page, so nothing on the page moves.
import { CSS } from './style.js';

const FOCUSABLE = 'button,a[href],input:not([disabled]),summary,[tabindex="0"]';

/**
 * Creates an element: attributes (on* become listeners), then children
 * (strings become text nodes: nothing from the config is parsed as HTML).
 * @param {any} doc
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} kids
 */
function h(doc, tag, attrs = {}, ...kids) {
  const el = doc.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid != null && kid !== false) el.append(kid);
  return el;
}

/**
 * @param {{win: any, settings: any, record: any, gpc: boolean, base: string,
 *   choose: (p: Record<string, boolean>) => Promise<any>, dismiss: () => void}} ctx
 */
export function mount(ctx) {
  const { win, settings: s, record, gpc, base } = ctx;
  const doc = win.document;
  const t = s.texts;
  const optIn = s.regime === 'opt_in';
  const old = doc.getElementById('cg-banner');
  if (old) old.remove();
  // Inline and !important: the page's own rules (say `body > div {padding: 2em}`) cannot
  // give the host element a size and push the page's content.
  const host = h(doc, 'div', { id: 'cg-banner', style: 'position:fixed!important;width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important' });
  const theme = s.theme || {};
  for (const [k, v] of Object.entries(theme)) host.style.setProperty('--cg-' + k.replace('_', '-'), String(v));
  const root = host.attachShadow({ mode: 'open' });
  const e = (/** @type {string} */ tag, /** @type {any} */ attrs, /** @type {any[]} */ ...kids) => h(doc, tag, attrs, ...kids);
  const url = (/** @type {string} */ path) => (/^https:\/\//.test(path) ? path : base + path);

  // What is new since the visitor last chose: only when re-asking.
  const seenP = record && record.q ? new Set(record.q) : null;
  const seenR = record && record.r ? new Set(record.r) : null;
  const badge = (/** @type {boolean} */ isNew) => isNew && e('strong', { class: 'new' }, ' ' + t.new);
  const changed = !!record && record.v !== s.notice_version;

  const recipients = e('ul', { class: 'list' }, s.recipients.map((/** @type {any} */ r) =>
    e('li', {}, e('span', { class: 'name' }, r.name), ` (${r.country}): ${r.purposes.join(', ')}`, badge(!!seenR && !seenR.has(r.key)))));
  const details = e('details', {}, e('summary', {}, `${t.recipients} (${s.recipients.length})`), recipients);
  const links = e('p', { class: 'links' },
    e('a', { href: url(s.links.notice), target: '_blank', rel: 'noopener' }, t.details), ' · ',
    e('a', { href: url(s.links.preferences), target: '_blank', rel: 'noopener' }, t.preferences));

  const before = doc.activeElement;
  /** @param {() => any} [then] */
  const close = (then) => {
    host.remove();
    doc.removeEventListener('keydown', onKey, true);
    if (before && before.focus) try { before.focus(); } catch {}
    return then && then();
  };
  const all = (/** @type {boolean} */ on) => Object.fromEntries(s.purposes.map((/** @type {any} */ p) => [p.name, on && !(gpc && p.name === 'advertising')]));
  const button = (/** @type {string} */ label, /** @type {() => any} */ fn, cls = '') => e('button', { type: 'button', class: cls, onclick: fn }, label);

  let box;
  if (optIn) {
    const boxes = s.purposes.map((/** @type {any} */ p) => {
      const id = 'cg-p-' + p.name;
      const blocked = gpc && p.name === 'advertising';
      return e('div', { class: 'purpose' },
        e('input', { type: 'checkbox', id, name: p.name, disabled: blocked, 'aria-describedby': (blocked || p.description) && id + '-d' }),
        e('label', { for: id }, p.label, badge(!!seenP && !seenP.has(p.name))),
        (blocked || p.description) && e('p', { id: id + '-d', class: 'hint' }, blocked ? t.gpc : p.description));
    });
    const panel = e('fieldset', { class: 'panel', hidden: true }, e('legend', {}, t.choose), boxes,
      button(t.save, () => close(() => ctx.choose(Object.fromEntries(boxes.map((/** @type {any} */ b) => {
        const input = b.querySelector('input');
        return [input.name, input.checked];
      }))))));
    box = e('div', { class: 'box', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'cg-t', 'aria-describedby': 'cg-d', tabindex: '-1' },
      s.logo_url && e('img', { src: url(s.logo_url), alt: '', class: 'logo' }),
      e('h2', { id: 'cg-t' }, t.title),
      changed && e('p', { class: 'changed' }, t.changed),
      e('p', { id: 'cg-d' }, t.opt_in),
      gpc && e('p', { class: 'gpc' }, t.gpc),
      details, panel,
      e('div', { class: 'buttons' },
        button(t.accept, () => close(() => ctx.choose(all(true))), 'accept'),
        button(t.reject, () => close(() => ctx.choose(all(false))), 'reject'),
        button(t.choose, () => {
          panel.hidden = false;
          /** @type {any} */ (panel.querySelector('input:not([disabled])') || panel.querySelector('button')).focus();
        }, 'choose')),
      links);
  } else {
    box = e('section', { class: 'box', 'aria-labelledby': 'cg-t' },
      s.logo_url && e('img', { src: url(s.logo_url), alt: '', class: 'logo' }),
      e('h2', { id: 'cg-t' }, t.title),
      changed && e('p', { class: 'changed' }, t.changed),
      e('p', {}, t.opt_out),
      gpc && e('p', { class: 'gpc' }, t.gpc),
      recipients, links,
      e('div', { class: 'buttons' },
        !gpc && button(t.refuse_ads, () => close(() => ctx.choose({ advertising: false })), 'refuse'),
        button(t.close, () => close(ctx.dismiss), 'close')));
  }

  /** Escape closes without a choice; Tab stays inside the opt-in dialog. The opt-out notice
   * is not modal: it handles keys only while it has focus, the page keeps its own. */
  function onKey(/** @type {KeyboardEvent} */ ev) {
    if (!optIn && doc.activeElement !== host) return;
    if (ev.key === 'Escape') {
      ev.preventDefault();
      return close(optIn ? undefined : ctx.dismiss);
    }
    if (ev.key !== 'Tab' || !optIn) return;
    const items = [...box.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null || el.getClientRects().length);
    const first = items[0], last = items[items.length - 1];
    const at = root.activeElement;
    if (ev.shiftKey ? at === first || !at || at === box : at === last || !at) {
      ev.preventDefault();
      (ev.shiftKey ? last : first).focus();
    }
  }

  root.append(e('style', {}, CSS), e('div', { class: `wrap ${theme.position || 'bottom'}`, lang: s.lang }, box));
  doc.addEventListener('keydown', onKey, true);
  doc.body.appendChild(host);
  if (optIn) box.focus();
  return host;
}

/** @type {any} */ (window).__cgBanner = mount;
