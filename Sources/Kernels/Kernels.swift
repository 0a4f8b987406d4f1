/// Pure numerics for PgScorer: one-class SVM models, their encoding and scoring.
public enum Kernels {}
