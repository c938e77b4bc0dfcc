# Golden Gaussian averages for TanhGaussianTests: mpmath quadrature at 30 digits, split at the sech spike.
# Run with /usr/bin/python3; prints the InlineData rows.
import mpmath as mp
mp.mp.dps = 30
def avg(f, mu, s):
    z0 = -mu / s   # the sech spike sits where mu + s z = 0
    pts = sorted(set([-mp.inf, z0 - 40 / s, z0, z0 + 40 / s, mp.inf]))
    g = lambda z: f(mu + s * z) * mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)
    return mp.quad(g, pts)
fs = [lambda h: mp.tanh(h), lambda h: mp.tanh(h)**2, lambda h: mp.sech(h)**2, lambda h: mp.sech(h)**4,
      lambda h: mp.tanh(h) * mp.sech(h)**2, lambda h: mp.tanh(h)**2 * mp.sech(h)**2]
for mu, s in [(0, 0.5), (0.3, 1), (1.2, 2.5), (-0.7, 5), (2, 20), (0.5, 50)]:
    vals = [avg(f, mp.mpf(mu), mp.mpf(s)) for f in fs]
    print(f"[InlineData({mu}, {s}, " + ", ".join(mp.nstr(v, 17) for v in vals) + ")]")
