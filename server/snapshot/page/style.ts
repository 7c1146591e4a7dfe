/**
 * The page's only stylesheet, served from /audit/style.css (the CSP allows no inline style): sized
 * for a 1366×768 laptop, system fonts, a visible focus ring, contrast at least 4.5:1.
 */
export const pageCss = `
*{box-sizing:border-box}
html{font-family:system-ui,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;font-size:16px;line-height:1.45;color:#1b1b1b;background:#f6f7f9}
body{margin:0}
a{color:#0b4f9c}
a:hover{color:#06345f}
:focus-visible{outline:3px solid #c25e00;outline-offset:2px}
.skip{position:absolute;left:-9999px;top:0;background:#fff;padding:.5rem 1rem}
.skip:focus{left:1rem;z-index:10}
header{background:#0b3a6e;color:#fff;padding:.6rem 1.5rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between}
header h1{font-size:1.25rem;margin:0}
header a{color:#fff}
header nav{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header form{margin:0}
main{max-width:1280px;margin:0 auto;padding:1rem 1.5rem 3rem}
section{background:#fff;border:1px solid #d0d5dc;border-radius:6px;padding:1rem 1.25rem;margin:1rem 0}
h2{font-size:1.15rem;margin:.1rem 0 .6rem}
h3{font-size:1rem;margin:1rem 0 .4rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(260px,1fr));gap:1rem}
label{display:block;font-weight:600;margin:.4rem 0 .2rem}
fieldset{border:1px solid #d0d5dc;border-radius:4px;margin:.5rem 0;padding:.4rem .8rem}
fieldset label{display:inline-flex;gap:.3rem;font-weight:400;margin-right:1rem}
input[type=date],select,textarea,input[type=file]{font:inherit;padding:.35rem .5rem;border:1px solid #6b7280;border-radius:4px;background:#fff;max-width:100%}
textarea{width:100%;min-height:6rem;font-family:ui-monospace,Consolas,monospace;font-size:.85rem}
button{font:inherit;font-weight:600;padding:.45rem 1rem;border-radius:4px;border:1px solid #0b3a6e;background:#0b4f9c;color:#fff;cursor:pointer;margin-top:.6rem}
button:hover{background:#06345f}
button.link{background:transparent;border-color:#fff;color:#fff;margin:0;padding:.25rem .7rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef1f5}
th[scope=row]{width:35%}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,Consolas,monospace;font-size:.85rem;word-break:break-all}
.help{color:#4a4f57;margin:.2rem 0 .6rem}
.ok{border-left:6px solid #1a7f37;background:#effaf2}
.bad{border-left:6px solid #b42318;background:#fdf0ef}
.msg{padding:.6rem 1rem}
form.inline{display:flex;flex-wrap:wrap;align-items:flex-end;gap:.25rem 1rem}
form.inline label{margin:0}
td.path{white-space:nowrap;word-break:normal}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dt{font-weight:600}
dd{margin:0}
`;

/** The tab icon: a blue square with an H, so the browser does not ask for /favicon.ico. */
export const pageIcon =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0b3a6e"/><path d="M4 3v10M12 3v10M4 8h8" stroke="#fff" stroke-width="2"/></svg>';
