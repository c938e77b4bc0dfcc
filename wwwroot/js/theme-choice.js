// Marks the page with the colour scheme its person chose in the app (Light or Dark, kept in localStorage under
// MainLayout's ThemeKey) before the first paint. The circuit reads the choice only after the page has been shown;
// until then the page's CSS (SystemDarkPalette) follows this mark, or the browser's scheme where there is none.
// A blocking classic script in <head>: it must run before the body is painted, and it is a few lines.
try {
    const choice = localStorage.getItem('tempbalance.theme');
    if (choice === 'Light' || choice === 'Dark') document.documentElement.dataset.theme = choice.toLowerCase();
} catch {
    // localStorage can be refused (privacy settings); the page then follows the browser's scheme.
}
