#!/usr/bin/python3
"""Golden data for xct ptychography from independent implementations.

Run:  /usr/bin/python3 tests/oracles/xct/make_ptycho_goldens.py
Writes tests/oracles/xct/goldens_ptycho.h5 (read by tests/xct/test_ptycho.c).
- The angular-spectrum propagator (exact and paraxial) written here in NumPy
  from Goodman, Introduction to Fourier Optics, eq. (3-74)/(4-21), with
  numpy.fft (norm='ortho').
- The mixed-state multislice forward model (notes/xct.md) in PyTorch, the
  amplitude loss (note eq. 1) and its gradients by torch.autograd
  (z.grad = dL/dRe + i dL/dIm for a real loss, checked below).
Inputs are random (numpy default_rng(20261124)) and stored with the outputs.
Nothing here calls tinsel.
"""
import numpy as np
import h5py
import torch

OUT = __file__.rsplit('/', 1)[0] + '/goldens_ptycho.h5'
rng = np.random.default_rng(20261124)
torch.set_default_dtype(torch.float64)

# autograd convention check: L = |z|^2 -> grad 2z
z = torch.tensor([1 + 2j], requires_grad=True)
(z.abs() ** 2).sum().backward()
assert torch.allclose(z.grad, torch.tensor([2 + 4j]))


def cplx(shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def kernel(npx, dx, dz, lam, exact):
    f = np.fft.fftfreq(npx, d=dx)
    fy, fx = np.meshgrid(f, f, indexing='ij')
    f2 = fx ** 2 + fy ** 2
    if exact:
        # Goodman: H = exp(i 2 pi z sqrt(1/lam^2 - f^2)); constant exp(i 2 pi z / lam) removed
        # evaluated naively but in extended precision (np.longdouble, 64-bit
        # mantissa): the cancellation in sqrt(1/lam^2 - f^2) - 1/lam costs
        # eps/lam ~ 1.6e-15 nm^-1 in double, i.e. 2e-11 rad of phase at dz = 2 um
        il = np.longdouble(1) / np.longdouble(lam)
        kz = np.sqrt(il * il - f2.astype(np.longdouble)) - il
        return np.exp(1j * (2 * np.pi * dz * kz).astype(np.float64))
    return np.exp(-1j * np.pi * lam * dz * f2)


def propagate(u, H):
    return np.fft.ifft2(np.fft.fft2(u, norm='ortho') * H, norm='ortho')


# ---- propagator: 48 x 48 field, 10 nm pixels, 8.8 keV, dz = 2 um
npx, dx, lam, dz = 48, 10.0, 0.1408905, 2000.0
u0 = cplx((npx, npx))
prop = {}
for exact in (0, 1):
    H = kernel(npx, dx, dz, lam, exact)
    prop[exact] = propagate(u0, H)

# ---- forward model + loss + gradients: n 40, np 16, 3 slices, 2 modes, 5 positions
n, P, L, M = 40, 16, 3, 2
dxf, dzf = 8.0, 400.0
pos = np.array([[0, 0], [0, 24], [12, 7], [24, 24], [20, 3]], dtype=np.int64)
obj = np.exp(-0.1 * rng.random((L, n, n)) + 1j * 0.8 * rng.standard_normal((L, n, n)))
probe = cplx((M, P, P)) * np.array([3.0, 1.0])[:, None, None]
Hf = kernel(P, dxf, dzf, lam, 1)
Ho = torch.tensor(Hf)
objt = torch.tensor(obj, requires_grad=True)
probet = torch.tensor(probe, requires_grad=True)
inten = []
for j, (r, c) in enumerate(pos):
    Ij = 0
    for m in range(M):
        psi = probet[m]
        for l in range(L):
            if l > 0:
                psi = torch.fft.ifft2(torch.fft.fft2(psi, norm='ortho') * Ho, norm='ortho')
            psi = psi * objt[l, r:r + P, c:c + P]
        Psi = torch.fft.fft2(psi, norm='ortho')
        Ij = Ij + Psi.real ** 2 + Psi.imag ** 2
    inten.append(Ij)
inten = torch.stack(inten)
# measured data: the model's intensities perturbed (so the loss is not zero)
meas = (inten.detach().numpy() * (1 + 0.3 * rng.random(inten.shape))).astype(np.float64)
loss = ((torch.sqrt(inten) - torch.sqrt(torch.tensor(meas))) ** 2).sum()
loss.backward()

# ---- ePIE and rPIE, two sweeps in a fixed order, object and probe updated,
# two modes (Maiden & Rodenburg 2009 eqs. 6-7; Maiden et al. 2017 eq. 5;
# modes as Thibault & Menzel 2013), written from the papers in NumPy
n2, P2, M2 = 32, 12, 2
pos2 = np.array([[r, c] for r in range(0, n2 - P2 + 1, 4) for c in range(0, n2 - P2 + 1, 4)])
order2 = rng.permutation(len(pos2))
obj2 = np.exp(-0.05 * rng.random((n2, n2)) + 0.5j * rng.standard_normal((n2, n2)))
probe2 = cplx((M2, P2, P2)) * np.array([2.0, 0.7])[:, None, None]
I2 = []
for r, c in pos2:
    Psi = np.fft.fft2(probe2 * obj2[r:r + P2, c:c + P2], norm='ortho')
    I2.append((np.abs(Psi) ** 2).sum(0))
I2 = np.array(I2)
probe2_start = probe2 * (1 + 0.2 * rng.standard_normal(probe2.shape))


def pie(alpha, beta, rpie):
    O = np.ones((n2, n2), complex)
    Pr = probe2_start.copy()
    for sweep in range(2):
        for j in order2:
            r, c = pos2[j]
            o = O[r:r + P2, c:c + P2].copy()
            psi = Pr * o
            Psi = np.fft.fft2(psi, norm='ortho')
            A = np.sqrt((np.abs(Psi) ** 2).sum(0))
            Psi = Psi * np.sqrt(I2[j]) / A
            d = np.fft.ifft2(Psi, norm='ortho') - psi
            pw = (np.abs(Pr) ** 2).sum(0)
            ow = np.abs(o) ** 2
            if rpie:
                O[r:r + P2, c:c + P2] += (np.conj(Pr) * d).sum(0) / ((1 - alpha) * pw + alpha * pw.max())
                Pr = Pr + np.conj(o) * d / ((1 - beta) * ow + beta * ow.max())
            else:
                O[r:r + P2, c:c + P2] += alpha * (np.conj(Pr) * d).sum(0) / pw.max()
                Pr = Pr + beta * np.conj(o) * d / ow.max()
    return O, Pr


epie_O, epie_P = pie(1.0, 0.9, False)
rpie_O, rpie_P = pie(0.3, 0.5, True)

with h5py.File(OUT, 'w') as f:
    f['pie_params'] = np.array([n2, P2, M2])
    f['pie_pos'] = pos2.astype(np.float64)
    f['pie_order'] = order2.astype(np.float64)
    f['pie_intensity'] = I2
    f['pie_probe_start'] = np.stack([probe2_start.real, probe2_start.imag], -1)
    for name, O, Pr in (('epie', epie_O, epie_P), ('rpie', rpie_O, rpie_P)):
        f[name + '_object'] = np.stack([O.real, O.imag], -1)
        f[name + '_probe'] = np.stack([Pr.real, Pr.imag], -1)
    f.attrs['provenance'] = ('tests/oracles/xct/make_ptycho_goldens.py; numpy %s, torch %s'
                             % (np.__version__, torch.__version__))
    f['prop_params'] = np.array([npx, dx, lam, dz])
    f['prop_in'] = np.stack([u0.real, u0.imag], -1)
    f['prop_paraxial'] = np.stack([prop[0].real, prop[0].imag], -1)
    f['prop_exact'] = np.stack([prop[1].real, prop[1].imag], -1)
    f['fwd_params'] = np.array([n, P, L, M, dxf, dzf, lam])
    f['fwd_pos'] = pos.astype(np.float64)
    f['fwd_obj'] = np.stack([obj.real, obj.imag], -1)
    f['fwd_probe'] = np.stack([probe.real, probe.imag], -1)
    f['fwd_intensity'] = inten.detach().numpy()
    f['fwd_meas'] = meas
    f['fwd_loss'] = np.array([loss.item()])
    g = objt.grad.numpy()
    f['fwd_grad_obj'] = np.stack([g.real, g.imag], -1)
    g = probet.grad.numpy()
    f['fwd_grad_probe'] = np.stack([g.real, g.imag], -1)
print('wrote', OUT, 'loss', loss.item())
