// Defaults meet WCAG 2.2 AA contrast (#1a1a1a on #fff: 17:1; #fff on #0b4f8a: 8.4:1).
// Accept, Reject and Choose share one style: rejecting looks exactly as easy as accepting.
export const CSS = `
:host{all:initial}
.wrap{position:fixed;left:0;right:0;z-index:2147483647;display:flex;justify-content:center;padding:12px;pointer-events:none;box-sizing:border-box}
.bottom{bottom:0}.top{top:0}.center{top:0;bottom:0;align-items:center;background:rgba(0,0,0,.4)}
.box{pointer-events:auto;box-sizing:border-box;max-width:40rem;width:100%;max-height:calc(100vh - 24px);overflow:auto;
background:var(--cg-background,#fff);color:var(--cg-text,#1a1a1a);font:15px/1.5 var(--cg-font,system-ui,sans-serif);
border-radius:var(--cg-radius,8px);box-shadow:0 2px 16px rgba(0,0,0,.35);padding:16px 20px;border:1px solid #767676}
h2{font-size:1.15em;margin:0 0 .5em}p{margin:.5em 0}.logo{max-height:32px;display:block;margin-bottom:8px}
.hint{font-size:.9em;margin:.1em 0 .6em 1.7em}.changed,.new,.gpc{font-weight:700}
.list{margin:.4em 0;padding-left:1.2em}.name{font-weight:600}
details{margin:.5em 0}summary{cursor:pointer}
fieldset{border:1px solid #767676;border-radius:var(--cg-radius,8px);margin:.5em 0;padding:.5em .8em}legend{font-weight:600}
input{width:1.1em;height:1.1em;margin:0 .5em 0 0;vertical-align:-.15em}
.buttons{display:flex;flex-wrap:wrap;gap:8px;margin:.8em 0 .4em}
button{font:inherit;flex:1 1 8em;min-height:44px;padding:.5em 1em;border-radius:var(--cg-radius,8px);cursor:pointer;
border:2px solid var(--cg-accent,#0b4f8a);background:var(--cg-accent,#0b4f8a);color:var(--cg-accent-text,#fff)}
.panel button{margin-top:.5em}
a{color:inherit}
:focus-visible{outline:3px solid #b35900;outline-offset:2px}
`;
