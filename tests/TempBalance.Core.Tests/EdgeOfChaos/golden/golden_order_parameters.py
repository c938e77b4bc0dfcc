# Golden J and J0 for OrderParametersTests: the seed's definition (3.Model_evolution/plot_figure2.py)
# J = np.std(W) * sqrt(fan_in), J0 = np.mean(W) * fan_in over all entries, in float64. Run with /usr/bin/python3.
import numpy as np
linear = np.array([[0.1, -0.2, 0.3, 0.05], [-0.4, 0.25, 0.0, 0.15], [0.6, -0.35, 0.2, -0.1]], dtype=np.float32)
conv = (np.arange(24) * 0.37 % 1.3 - 0.6).reshape(2, 3, 2, 2)
for name, w, fan_in in [('linear', linear.astype(np.float64), 4), ('conv', conv, 12)]:
    print(f'{name}: J = {np.std(w) * np.sqrt(fan_in):.15f}, J0 = {np.mean(w) * fan_in:.15f}')
# The seed's Keras kernel is [in, out]: the transpose of a Linear weight [out, in]; whole-matrix statistics agree.
kernel = linear.astype(np.float64).T
print(f'seed formula on the Keras kernel: J = {np.std(kernel) * np.sqrt(kernel.shape[0]):.15f}, J0 = {np.mean(kernel) * kernel.shape[0]:.15f}')
