# Golden points for MeanFieldTests: the edge of chaos and the magnetization onset at several 1/J, from scipy
# adaptive quadrature and nested brentq (independent of the C# trapezoidal rule). Run with /usr/bin/python3.
import numpy as np
from scipy.integrate import quad
from scipy.optimize import brentq
def E(f, mu, s):
    z0 = -mu / s
    g = lambda z: f(mu + s * z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    w = min(30 / s, 10)
    parts = [(-np.inf, z0 - w), (z0 - w, z0), (z0, z0 + w), (z0 + w, np.inf)]
    return sum(quad(g, a, b, epsabs=1e-15, epsrel=1e-13, limit=200)[0] for a, b in parts)
th = np.tanh; th2 = lambda h: np.tanh(h) ** 2
s4 = lambda h: 1 / np.cosh(h) ** 4 if abs(h) < 300 else 0.0
s2 = lambda h: 1 / np.cosh(h) ** 2 if abs(h) < 300 else 0.0
def edge_at_sigma(s):
    mu = brentq(lambda m: s * s * E(s4, m, s) - E(th2, m, s), 0, 10 * s + 10, xtol=1e-15)
    y = np.sqrt(E(s4, mu, s)); return mu * y / E(th, mu, s), y
def edge_x(y):
    s = brentq(lambda s: edge_at_sigma(s)[1] - y, 0.2, 2 / y + 1, xtol=1e-14)
    return edge_at_sigma(s)[0]
def onset_x(y):
    def pt(s):
        q = E(th2, 0, s); yy = np.sqrt(q) / s; return yy / E(s2, 0, s), yy
    s = brentq(lambda s: pt(s)[1] - y, 0.2, 2 / y + 1, xtol=1e-14)
    return pt(s)[0]
for y in [0.05, 0.1, 0.3, 0.5, 0.8, 0.95]:
    print(f"[InlineData({y}, {edge_x(y):.12f}, {onset_x(y):.12f})]")
# The ferromagnetic fixed point at J0/J = 1.5, 1/J = 0.5 (J = 2, J0 = 3), iterated to convergence.
u, q = 1.0, 1.0
for _ in range(500):
    u, q = E(th, 3 * u, 2 * np.sqrt(q)), E(th2, 3 * u, 2 * np.sqrt(q))
print(f"u = {u:.13f}, q = {q:.13f}, chi = {4 * E(s4, 3 * u, 2 * np.sqrt(q)):.13f}")
