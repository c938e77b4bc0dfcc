// Starts plotly.js (its cartesian bundle, 1.4 MB) while the Blazor circuit connects, instead of after the first chart has rendered.
// It goes through Plotly.Blazor's own interop module, the same module instance its charts import, so the
// charts find the script already loading or loaded and do not evaluate it a second time.
const interop = './_content/Plotly.Blazor/plotly-interop-7.2.0.js';
const bundle = './_content/Plotly.Blazor/plotly-3.7.0.min.js';
// A sweep page draws parallel coordinates, which only the strict (all-traces) bundle has (wwwroot/js/plotly-full.js).
const sweepPage = /^\/sweeps\/\d+/.test(location.pathname);

async function load() {
    if (sweepPage) return (await import('./plotly-full.js')).ensureFullPlotly();
    const { importScript } = await import(new URL(interop, document.baseURI).href);
    await importScript('plotly-import', bundle);
}

// Pages with charts need it at once; elsewhere it loads when the browser is idle, so that opening a run
// from the list is as quick as loading its page directly.
const chartPage = sweepPage || /^\/(runs\/\d+|compare)/.test(location.pathname);
if (chartPage) load();
else if ('requestIdleCallback' in window) requestIdleCallback(load, { timeout: 5000 });
else setTimeout(load, 2000);
