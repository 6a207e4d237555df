/** MAPE divides by max(|y|, ε), ε the float64 machine epsilon, as scikit-learn does. */
const MAPE_EPS = 2 ** -52;

export interface RegressionMetrics {
  /** Labelled predictions with a finite label and prediction. */
  n: number;
  mae: number | null;
  rmse: number | null;
  /** Mean of |y − ŷ| ÷ max(|y|, ε): a fraction, not a percentage (scikit-learn's convention). */
  mape: number | null;
  /** Mean of ŷ − y: positive when the model predicts too high. */
  bias: number | null;
}

/**
 * The labelled predictions of one window, for a regressor: four sums and a count, so windows
 * merge by addition (in a fixed order where bit-identical results matter: float sums depend
 * on it). Definitions follow scikit-learn's mean_absolute_error, root_mean_squared_error and
 * mean_absolute_percentage_error (tests/fixtures/quality-reference.json).
 */
export class RegressionQuality {
  n = 0;
  private absErrorSum = 0;
  private squaredErrorSum = 0;
  private percentErrorSum = 0;
  private errorSum = 0;

  /** Non-finite labels or predictions are not counted (the caller counts them apart). */
  add(label: number, predicted: number): boolean {
    if (!Number.isFinite(label) || !Number.isFinite(predicted)) return false;
    const error = predicted - label;
    const abs = Math.abs(error);
    this.n++;
    this.absErrorSum += abs;
    this.squaredErrorSum += error * error;
    this.percentErrorSum += abs / Math.max(Math.abs(label), MAPE_EPS);
    this.errorSum += error;
    return true;
  }

  /** The count and the four sums, in a fixed order (partials carry them). */
  toState(): [number, number, number, number, number] {
    return [this.n, this.absErrorSum, this.squaredErrorSum, this.percentErrorSum, this.errorSum];
  }

  static fromState(state: readonly [number, number, number, number, number]): RegressionQuality {
    const q = new RegressionQuality();
    [q.n, q.absErrorSum, q.squaredErrorSum, q.percentErrorSum, q.errorSum] = state;
    return q;
  }

  merge(other: RegressionQuality): void {
    this.n += other.n;
    this.absErrorSum += other.absErrorSum;
    this.squaredErrorSum += other.squaredErrorSum;
    this.percentErrorSum += other.percentErrorSum;
    this.errorSum += other.errorSum;
  }

  metrics(): RegressionMetrics {
    const n = this.n;
    if (n === 0) return { n, mae: null, rmse: null, mape: null, bias: null };
    return {
      n,
      mae: this.absErrorSum / n,
      rmse: Math.sqrt(this.squaredErrorSum / n),
      mape: this.percentErrorSum / n,
      bias: this.errorSum / n,
    };
  }
}
