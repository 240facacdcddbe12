/**
 * Special functions in float64 for the reference backend (and for tests). Accuracy targets are
 * ~1e-13 relative where the function is well conditioned, far below the float32 rounding of the
 * kernels that are checked against them.
 */

// Lanczos approximation, g = 7, n = 9 (the coefficient set used by many numerical libraries;
// relative error ~1e-15 for x >= 0.5).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const LOG_SQRT_2PI = 0.91893853320467274178;

/** log|Gamma(x)|; +Infinity at the poles (0, -1, -2, ...), as C's lgamma. */
export function lgamma(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return Infinity;
  if (x < 0.5) {
    // Reflection: Gamma(x) Gamma(1-x) = pi / sin(pi x).
    return Math.log(Math.PI / Math.abs(sinPi(x))) - lgamma(1 - x);
  }
  if (x > 1e7) {
    // Stirling: the Lanczos sum loses nothing here but the direct form avoids log(large) cancellation.
    const inv = 1 / x;
    return (x - 0.5) * Math.log(x) - x + LOG_SQRT_2PI + inv * (1 / 12 - (inv * inv) / 360);
  }
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + LANCZOS_G + 0.5;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i] / (z + i);
  return LOG_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** sin(pi x) with exact zeros at integers (argument reduction keeps precision for large |x|). */
function sinPi(x: number): number {
  const r = x - 2 * Math.floor(x / 2); // [0, 2)
  if (r === 0 || r === 1) return 0;
  return Math.sin(Math.PI * r);
}

/** digamma psi(x) = d/dx log Gamma(x); NaN at the poles. */
export function digamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return Infinity;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  let acc = 0;
  if (x < 0.5) {
    // Reflection: psi(1-x) - psi(x) = pi cot(pi x).
    return digamma(1 - x) - Math.PI / Math.tan(Math.PI * (x - Math.round(x)));
  }
  // Recurrence psi(x) = psi(x+1) - 1/x until the asymptotic series is accurate.
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const inv2 = 1 / (x * x);
  // psi(x) ~ ln x - 1/(2x) - sum B_2k / (2k x^2k)
  const series =
    inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132 - inv2 * (691 / 32760))))));
  return acc + Math.log(x) - 0.5 / x - series;
}

/** trigamma psi'(x), used by the backward of digamma. */
export function trigamma(x: number): number {
  if (Number.isNaN(x) || x === -Infinity) return NaN;
  if (x === Infinity) return 0;
  if (x <= 0 && Number.isInteger(x)) return NaN;
  if (x < 0.5) {
    // psi'(1-x) + psi'(x) = pi^2 / sin^2(pi x)
    const s = Math.sin(Math.PI * (x - Math.round(x)));
    return (Math.PI * Math.PI) / (s * s) - trigamma(1 - x);
  }
  let acc = 0;
  while (x < 10) {
    acc += 1 / (x * x);
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // psi'(x) ~ 1/x + 1/(2x^2) + sum B_2k / x^(2k+1)
  const series = inv + inv2 / 2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 * (1 / 30 - inv2 * (5 / 66)))));
  return acc + series;
}

/** erf(x) in float64: Taylor series for |x| < 2.5, continued fraction for erfc beyond. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)); terms peak at ~e^(x^2) ~ 500, so
    // about 3 digits of the 16 are lost to cancellation at the upper end.
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const r = erfcLarge(ax);
  return x > 0 ? 1 - r : r - 1;
}

/** erfc(x) for x >= 2.5 by the Laplace continued fraction (modified Lentz). */
function erfcLarge(x: number): number {
  if (x > 27) return 0;
  // erfc x = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    D = x + a * D;
    D = D === 0 ? tiny : D;
    C = x + a / C;
    C = C === 0 ? tiny : C;
    D = 1 / D;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** erfc(x) = 1 - erf(x), without cancellation for large positive x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x >= 2.5) return erfcLarge(x);
  if (x <= -2.5) return 2 - erfcLarge(-x);
  return 1 - erf(x);
}

/** Standard normal CDF Phi(x) = erfc(-x / sqrt 2) / 2, accurate in both tails. */
function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** GELU as Hugging Face 'gelu' (exact erf form): x * Phi(x). */
export function gelu(x: number): number {
  return x * normalCdf(x);
}

/** d/dx gelu(x) = Phi(x) + x * phi(x). */
export function geluGrad(x: number): number {
  return normalCdf(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);
}

/** Logistic sigmoid without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** softplus log(1 + e^x) without overflow (torch returns x above its threshold 20; the difference is < 3e-9). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
