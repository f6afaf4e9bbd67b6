#!/usr/bin/python3
"""Golden data for the xct engine from independent tools.

Run:  /usr/bin/python3 tests/oracles/xct/make_goldens.py
Writes tests/oracles/xct/goldens_xct.h5 (read by tests/xct/*.c).
Tools: scikit-image (radon, iradon, iradon_sart, peak_signal_noise_ratio,
structural_similarity, denoise_tv_chambolle), scikit-learn (GaussianMixture),
NumPy/SciPy (Pearson r; TensorFlow's MS-SSIM formula transcribed from
tf.image.ssim_multiscale, since TensorFlow is not in Debian).
Nothing here calls tinsel.
"""
import sys
import numpy as np
import h5py
import scipy
import scipy.signal
import skimage
import sklearn
from skimage.data import shepp_logan_phantom
from skimage.transform import radon, iradon, iradon_sart, resize
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.restoration import denoise_tv_chambolle
from sklearn.mixture import GaussianMixture

OUT = __file__.rsplit('/', 1)[0] + '/goldens_xct.h5'
rng = np.random.default_rng(20261123)

# ---- Radon / FBP / SART on the Shepp-Logan phantom (128 x 128, 180 angles)
n = 128
ph = resize(shepp_logan_phantom(), (n, n), anti_aliasing=True).astype(np.float64)
yy, xx = np.mgrid[:n, :n] - n // 2
ph[xx**2 + yy**2 > (n // 2 - 1)**2] = 0.0  # inside the reconstruction circle
theta = np.linspace(0.0, 180.0, 180, endpoint=False)
sino = radon(ph, theta=theta, circle=True)          # [ndet][nang]
recs = {}
for f in ['ramp', 'shepp-logan', 'cosine', 'hamming', 'hann']:
    recs[f] = iradon(sino, theta=theta, filter_name=f, circle=True)
sart1 = iradon_sart(sino, theta=theta)
sart2 = iradon_sart(sino, theta=theta, image=sart1.copy())  # iradon_sart updates image in place

# limited angle (+-70 deg, 29 angles) for the missing-wedge comparison
theta_la = np.linspace(-70.0, 70.0, 29)
sino_la = radon(ph, theta=theta_la, circle=True)
fbp_la = iradon(sino_la, theta=theta_la, filter_name='ramp', circle=True)

# ---- metrics
ref = ph.astype(np.float32)
test = (recs['hann'] + 0.02 * rng.standard_normal((n, n))).astype(np.float32)
dr = float(ref.max() - ref.min())
psnr = peak_signal_noise_ratio(ref, test, data_range=dr)
ssim7 = structural_similarity(ref, test, data_range=dr)           # 7x7 uniform, sample cov
ssim11 = structural_similarity(ref, test, data_range=dr, win_size=11)
pcc = np.corrcoef(ref.ravel().astype(np.float64), test.ravel().astype(np.float64))[0, 1]


def tf_fspecial_gauss(size, sigma):
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = coords**2 * (-0.5 / sigma**2)
    g = g[None, :] + g[:, None]
    g = np.exp(g - g.max())
    return g / g.sum()                       # softmax over the window


def tf_ssim_per_channel(x, y, max_val, k1=0.01, k2=0.03, size=11, sigma=1.5):
    w = tf_fspecial_gauss(size, sigma)
    red = lambda z: scipy.signal.correlate2d(z, w, mode='valid')
    c1, c2 = (k1 * max_val)**2, (k2 * max_val)**2
    m0, m1 = red(x), red(y)
    num0 = m0 * m1 * 2.0
    den0 = m0**2 + m1**2
    lum = (num0 + c1) / (den0 + c1)
    num1 = red(x * y) * 2.0
    den1 = red(x**2 + y**2)
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return (lum * cs).mean(), cs.mean()


def tf_msssim(x, y, max_val, weights=(0.0448, 0.2856, 0.3001, 0.2363, 0.1333)):
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    mcs = []
    for k in range(len(weights)):
        if k > 0:
            pads = [(0, s % 2) for s in x.shape]
            if any(p[1] for p in pads):
                x = np.pad(x, pads, mode='symmetric')
                y = np.pad(y, pads, mode='symmetric')
            h, w = x.shape[0] // 2, x.shape[1] // 2
            x = x[:2 * h, :2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3))
            y = y[:2 * h, :2 * w].reshape(h, 2, w, 2).mean(axis=(1, 3))
        s, cs = tf_ssim_per_channel(x, y, max_val)
        mcs.append(max(cs, 0.0))
    mcs.pop()
    vals = np.array(mcs + [max(s, 0.0)])
    return float(np.prod(vals ** np.array(weights)))


m = 200  # MS-SSIM needs >= 176; 200 exercises the odd-size padding (200/8 = 25)
ref_ms = resize(shepp_logan_phantom(), (m, m), anti_aliasing=True).astype(np.float32)
test_ms = (ref_ms + 0.05 * rng.standard_normal((m, m))).astype(np.float32)
test_ms = scipy.ndimage.gaussian_filter(test_ms, 1.0).astype(np.float32)
msssim = tf_msssim(ref_ms, test_ms, max_val=1.0)

# two-Gaussian EM on a bimodal sample, Bayes labels, DSC/BER
vals = np.concatenate([rng.normal(0.2, 0.05, 6000), rng.normal(0.9, 0.1, 2000)]).astype(np.float32)
gm = GaussianMixture(2, covariance_type='full', tol=1e-10, max_iter=2000, n_init=1, reg_covar=0.0,
                     random_state=0).fit(vals[:, None].astype(np.float64))
order = np.argsort(gm.means_.ravel())
g_prior = gm.weights_[order]
g_mean = gm.means_.ravel()[order]
g_sd = np.sqrt(gm.covariances_.ravel()[order])
lab_ref = gm.predict(vals[:, None].astype(np.float64))
lab_ref = (lab_ref == order[1]).astype(np.uint8)
test_vals = (vals + rng.normal(0, 0.15, vals.size)).astype(np.float32)
lab_test = gm.predict(test_vals[:, None].astype(np.float64))
lab_test = (lab_test == order[1]).astype(np.uint8)
tp = int(np.sum((lab_ref == 1) & (lab_test == 1)))
tn = int(np.sum((lab_ref == 0) & (lab_test == 0)))
fp = int(np.sum((lab_ref == 0) & (lab_test == 1)))
fn = int(np.sum((lab_ref == 1) & (lab_test == 0)))
dsc = 2 * tp / (2 * tp + fn + fp)
ber = (fp + fn) / (tp + tn + fp + fn)

# TV denoising (ROF) minimiser: min 1/2||u-f||^2 + w TV_iso(u)
nt = 48
ft = resize(shepp_logan_phantom(), (nt, nt), anti_aliasing=True)
ft = (ft + 0.1 * rng.standard_normal((nt, nt))).astype(np.float64)
tv_w = 0.1
tv_u = denoise_tv_chambolle(ft, weight=tv_w, eps=1e-12, max_num_iter=20000)

with h5py.File(OUT, 'w') as f:
    f.attrs['provenance'] = ('tests/oracles/xct/make_goldens.py; skimage %s, sklearn %s, scipy %s, '
                             'numpy %s, python %s' % (skimage.__version__, sklearn.__version__,
                                                      scipy.__version__, np.__version__,
                                                      sys.version.split()[0]))
    f['phantom'] = ph.astype(np.float32)
    f['theta_deg'] = theta
    f['radon'] = sino.T.astype(np.float32)          # [nang][ndet]
    for k, v in recs.items():
        f['iradon_' + k] = v.astype(np.float32)
    f['sart1'] = sart1.astype(np.float32)
    f['sart2'] = sart2.astype(np.float32)
    f['theta_la_deg'] = theta_la
    f['radon_la'] = sino_la.T.astype(np.float32)
    f['iradon_la'] = fbp_la.astype(np.float32)
    f['metric_ref'] = ref
    f['metric_test'] = test
    f['metric_values'] = np.array([psnr, ssim7, ssim11, pcc, dr])   # psnr, ssim7, ssim11, pcc, range
    f['msssim_ref'] = ref_ms
    f['msssim_test'] = test_ms
    f['msssim_value'] = np.array([msssim])
    f['gmm_values'] = vals
    f['gmm_test'] = test_vals
    f['gmm_fit'] = np.concatenate([g_prior, g_mean, g_sd])          # p0 p1 m0 m1 s0 s1
    f['gmm_scores'] = np.array([dsc, ber, tp, tn, fp, fn], dtype=np.float64)
    f['tv_f'] = ft.astype(np.float32)
    f['tv_u'] = tv_u.astype(np.float32)
    f['tv_weight'] = np.array([tv_w])
print('wrote', OUT)
print('psnr %.6f ssim7 %.6f ssim11 %.6f pcc %.6f msssim %.6f dsc %.6f ber %.6f' %
      (psnr, ssim7, ssim11, pcc, msssim, dsc, ber))
print('gmm', g_prior, g_mean, g_sd)
