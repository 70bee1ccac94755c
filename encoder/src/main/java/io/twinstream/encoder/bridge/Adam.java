package io.twinstream.encoder.bridge;

/** Adam over a few flat parameter arrays, updated in place. */
final class Adam {
  private final double lr;
  private final float[][] params;
  private final float[][] m;
  private final float[][] v;
  private int t;

  Adam(double lr, float[]... params) {
    this.lr = lr;
    this.params = params;
    this.m = new float[params.length][];
    this.v = new float[params.length][];
    for (int p = 0; p < params.length; p++) {
      m[p] = new float[params[p].length];
      v[p] = new float[params[p].length];
    }
  }

  void step(float[]... grads) {
    t++;
    double c1 = 1 - Math.pow(0.9, t);
    double c2 = 1 - Math.pow(0.999, t);
    float a = (float) (lr * Math.sqrt(c2) / c1);
    for (int p = 0; p < params.length; p++) {
      float[] w = params[p];
      float[] g = grads[p];
      float[] mp = m[p];
      float[] vp = v[p];
      for (int i = 0; i < w.length; i++) {
        mp[i] = 0.9f * mp[i] + 0.1f * g[i];
        vp[i] = 0.999f * vp[i] + 0.001f * g[i] * g[i];
        w[i] -= a * mp[i] / ((float) Math.sqrt(vp[i]) + 1e-8f);
      }
    }
  }
}
