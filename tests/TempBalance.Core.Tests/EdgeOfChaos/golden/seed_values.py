"""Prints the seed's phase-diagram numbers that PhaseDiagramTests embeds.

Run with /usr/bin/python3 (numpy, scipy). Reads the mirrored seed repository
zhanglin010/Edge_of_Chaos_Training:
  1.Theoretical_boundary/data_100bins_tanh_modified.mat  'integrals_modified', 100 x 151 uint8: row i is
      1/J = (i+1)*0.02, column c is J0/J = (c-50)*0.02; 1 where run_tanh.m found
      |chi - 1| / (|chi| + 1) < 0.019 (chi = J^2 E[sech^4]), after the README's hand edit that keeps only
      1/J = 1 for |J0/J| < 1.
  2.Phase_diagram/rawdata/tanh/100_100_500_tanh  pickle, float64 100 x 151 x 3 on the same grid:
      [separation of two trajectories after 500 steps of x -> tanh(x W), mean activation u, q0] for one
      random 10000 x 10000 W per cell (calculate_separation.py).
"""
import io, pickle, subprocess
import numpy as np
import scipy.io as sio

REPO = '/work/.mirror/zhanglin010+Edge_of_Chaos_Training/repo'

def blob(path):
    return subprocess.run(['git', '-C', REPO, 'show', f'HEAD:{path}'], check=True, capture_output=True).stdout

marks = sio.loadmat(io.BytesIO(blob('1.Theoretical_boundary/data_100bins_tanh_modified.mat')), squeeze_me=True)['integrals_modified']
print('// 1/J, then the marked J0/J >= 1 of that row (seed grid steps of 0.02)')
for i in range(49):
    xs = [round((c - 50) * 0.02, 2) for c in np.nonzero(marks[i])[0] if (c - 50) * 0.02 >= 1 - 1e-9]
    if xs:
        print(f'({(i + 1) * 0.02:.2f}, new[] {{ {", ".join(f"{x:.2f}" for x in xs)} }}),')
row = [round((c - 50) * 0.02, 2) for c in np.nonzero(marks[49])[0]]
print('// row 1/J = 1.00 marks J0/J from', row[0], 'to', row[-1], 'count', len(row))
print('// rows above 1/J = 1 with marks:', int(marks[50:].sum()))

sim = pickle.loads(blob('2.Phase_diagram/rawdata/tanh/100_100_500_tanh'))
print('// 1/J, the simulated chaotic/ordered boundary: midway between the last chaotic cell (separation > 1) and the next')
for i in range(3, 40):
    chaotic = np.nonzero(sim[i, :, 0] > 1.0)[0]
    last = chaotic.max()
    print(f'({(i + 1) * 0.02:.2f}, {((last - 50) * 0.02 + (last - 49) * 0.02) / 2:.2f}),')
