// The sweep page's parallel coordinates need plotly's parcoords trace, which the cartesian bundle the other charts
// use leaves out (PagesAndApi.cs). It is plotly's "strict" bundle (every trace type, 5.2 MB): the plain full bundle
// builds its WebGL drawing code with new Function, which the app's Content-Security-Policy (no 'unsafe-eval')
// refuses, and plotly then shows "WebGL is not supported" instead of the plot; the strict one ships that code
// precompiled. It is loaded through Plotly.Blazor's own loader (the same script id, so its charts then call the
// strict bundle, and its "plotly is ready" flag is set), then the script is labelled as the bundle Plotly.Blazor asks
// for by default: its charts find it loaded and keep it, instead of swapping the cartesian bundle back in. Every later
// page works with it (it holds every trace type).
const interop = './_content/Plotly.Blazor/plotly-interop-7.2.0.js';
const defaultBundle = './_content/Plotly.Blazor/plotly-3.7.0.min.js';
const strictBundle = './lib/plotly/plotly-strict-3.7.0.min.js';
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
    await importScript('plotly-import', strictBundle);
    const script = document.getElementById('plotly-import');
    script.dataset.full = 'true';
    script.dataset.originalSrc = defaultBundle;
    return !!window.Plotly;
}

// Plotly draws parallel coordinates with WebGL and the two extensions below. Where the browser offers them not
// (WebGL turned off, or no graphics driver and no software fallback) the page shows its own note in the chart's
// place: plotly's notice would land outside the chart's box, over the heatmap above it.
export function canDrawWebGl() {
    const gl = document.createElement('canvas').getContext('webgl');
    if (!gl) return false;
    const drawable = !!gl.getExtension('ANGLE_instanced_arrays') && !!gl.getExtension('OES_element_index_uint');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return drawable;
}
