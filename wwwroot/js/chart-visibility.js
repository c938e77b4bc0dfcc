// Tells each LiveChart whether its chart can be seen: on screen (or about to scroll into it) and in a tab that
// is not hidden. A chart nobody can see is neither drawn nor redrawn; plotly's redraws are most of a watching
// browser's work per epoch, and a phone or a background tab would otherwise pay for every chart on the page.
// A classic script rather than a module, so that asking costs a chart one call and no import.
window.liveCharts = (() => {
    // By a key of each chart component: at a page change the old chart's element is gone before it asks to stop.
    const watched = new Map();

    function observe(key, element, chart, marginPx) {
        unobserve(key);
        const box = element.getBoundingClientRect();
        let onScreen = box.top < innerHeight + marginPx && box.bottom > -marginPx;
        let reported = onScreen && document.visibilityState === 'visible';
        const report = () => {
            const visible = onScreen && document.visibilityState === 'visible';
            if (visible === reported) return;
            reported = visible;
            chart.invokeMethodAsync('SetVisible', visible).catch(() => { /* the circuit is gone */ });
        };
        const observer = new IntersectionObserver(entries => {
            onScreen = entries[entries.length - 1].isIntersecting;
            report();
        }, { rootMargin: `${marginPx}px 0px` });
        observer.observe(element);
        document.addEventListener('visibilitychange', report);
        watched.set(key, { observer, report });
        // Answered at once, so a chart in view is drawn without waiting for the observer's first callback.
        return reported;
    }

    function unobserve(key) {
        const watch = watched.get(key);
        if (!watch) return;
        watch.observer.disconnect();
        document.removeEventListener('visibilitychange', watch.report);
        watched.delete(key);
    }

    return { observe, unobserve };
})();
