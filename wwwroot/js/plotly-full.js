// The sweep page's parallel coordinates need plotly's parcoords trace, which the cartesian bundle the other charts
// use leaves out (Program.cs). This loads the full bundle of the same plotly.js version through Plotly.Blazor's own
// loader (the same script id, so its charts then call the full one, and its "plotly is ready" flag is set), then
// labels the script as the bundle Plotly.Blazor asks for by default: its charts find it loaded and keep it, instead
// of swapping the cartesian bundle back in. Every later page works with the full bundle (it holds every trace type).
const interop = './_content/Plotly.Blazor/plotly-interop-7.2.0.js';
const defaultBundle = './_content/Plotly.Blazor/plotly-3.7.0.min.js';
const fullBundle = './lib/plotly/plotly-full-3.7.0.min.js';
let loading = null;

export function ensureFullPlotly() {
    loading ??= load();
    return loading;
}

async function load() {
    const existing = document.getElementById('plotly-import');
    if (existing?.dataset.full === 'true') return true;
    // A cartesian bundle still loading would set window.Plotly after the full one: let it finish first.
    if (existing && !window.Plotly)
        await new Promise(resolve => {
            existing.addEventListener('load', resolve, { once: true });
            existing.addEventListener('error', resolve, { once: true });
            setTimeout(resolve, 15000);
        });
    const { importScript } = await import(new URL(interop, document.baseURI).href);
    await importScript('plotly-import', fullBundle);
    const script = document.getElementById('plotly-import');
    script.dataset.full = 'true';
    script.dataset.originalSrc = defaultBundle;
    return !!window.Plotly;
}
