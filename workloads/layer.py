"""The Layer record: one node of a workload graph, in the N C K H W P Q R S notation."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .errors import WorkloadError

#: ops that run on the PE grid (they have weights and a GEMM view)
GEMM_OPS = ("conv", "dwconv", "fc", "matmul")
#: ops that run on the post-processing / vector unit
VECTOR_OPS = ("pool", "eltwise", "concat")
OPS = GEMM_OPS + VECTOR_OPS
POOL_KINDS = ("max", "avg")


@dataclass(frozen=True)
class Layer:
    """One layer. H, W are input sizes, P, Q output sizes, R, S the kernel.

    For ``fc`` and ``matmul`` the spatial sizes are 1 except ``matmul``'s P, which is
    the number of rows of the activation matrix (M = N * P * Q in the GEMM view).
    ``weights`` (OIHW, float) is optional: real pretrained weights when a workload
    carries them; it is excluded from equality and hashing.
    """

    name: str
    op: str
    C: int
    K: int
    H: int = 1
    W: int = 1
    P: int = 1
    Q: int = 1
    R: int = 1
    S: int = 1
    N: int = 1
    stride: int = 1
    padding: int = 0
    groups: int = 1
    w_bits: int = 8
    a_bits: int = 8
    bias: bool = False
    bn: bool = False
    pool_kind: str = ""
    weights: np.ndarray | None = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise WorkloadError(f"layer {self.name!r}: op={self.op!r} is not one of {OPS}")
        for fname in ("C", "K", "H", "W", "P", "Q", "R", "S", "N", "stride", "groups", "w_bits", "a_bits"):
            v = getattr(self, fname)
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise WorkloadError(f"layer {self.name!r}: {fname}={v!r} must be a positive integer")
        if not isinstance(self.padding, (int, np.integer)) or self.padding < 0:
            raise WorkloadError(f"layer {self.name!r}: padding={self.padding!r} must be an integer >= 0")
        if self.C % self.groups or self.K % self.groups:
            raise WorkloadError(
                f"layer {self.name!r}: groups={self.groups} must divide C={self.C} and K={self.K}")
        if self.op == "dwconv" and not (self.groups == self.C == self.K):
            raise WorkloadError(f"layer {self.name!r}: dwconv needs groups == C == K, got "
                                f"groups={self.groups}, C={self.C}, K={self.K}")
        if self.op == "pool" and self.pool_kind not in POOL_KINDS:
            raise WorkloadError(f"layer {self.name!r}: pool_kind={self.pool_kind!r} is not one of {POOL_KINDS}")
        if self.weights is not None and self.has_weights:
            expected = self.weight_shape
            if tuple(self.weights.shape) != expected:
                raise WorkloadError(f"layer {self.name!r}: weights shape {tuple(self.weights.shape)} "
                                    f"does not match {expected} (OIHW)")

    # --- derived sizes -------------------------------------------------------------
    @property
    def has_weights(self) -> bool:
        return self.op in GEMM_OPS

    @property
    def weight_shape(self) -> tuple[int, int, int, int]:
        """OIHW shape of the weight tensor (O=K, I=C/groups)."""
        return (self.K, self.C // self.groups, self.R, self.S)

    @property
    def weight_count(self) -> int:
        if not self.has_weights:
            return 0
        return self.K * (self.C // self.groups) * self.R * self.S

    @property
    def param_count(self) -> int:
        """Weights + bias + BatchNorm's two affine parameters per output channel."""
        if not self.has_weights:
            return 0
        return self.weight_count + (self.K if self.bias else 0) + (2 * self.K if self.bn else 0)

    @property
    def gemm(self) -> tuple[int, int, int, int]:
        """(M, Kr, F, G): output pixels, reduction length, filters per group, groups."""
        return (self.N * self.P * self.Q, (self.C // self.groups) * self.R * self.S,
                self.K // self.groups, self.groups)

    @property
    def macs(self) -> int:
        if not self.has_weights:
            return 0
        m, kr, f, g = self.gemm
        return m * kr * f * g

    @property
    def ifmap_elems(self) -> int:
        """Input activation elements; a matmul reads its N * P rows of C values."""
        if self.op == "matmul":
            return self.N * self.P * self.Q * self.C
        return self.N * self.C * self.H * self.W

    @property
    def ofmap_elems(self) -> int:
        return self.N * self.K * self.P * self.Q

    @property
    def weight_bytes_int8(self) -> int:
        return self.weight_count * self.w_bits // 8

    @property
    def ifmap_bytes(self) -> int:
        return self.ifmap_elems * self.a_bits // 8

    @property
    def ofmap_bytes(self) -> int:
        return self.ofmap_elems * self.a_bits // 8

    @property
    def vector_ops(self) -> int:
        """Element operations on the post-processing unit (pool window reads, adds, copies)."""
        if self.op == "pool":
            return self.ofmap_elems * self.R * self.S
        if self.op in ("eltwise", "concat"):
            return self.ofmap_elems
        return 0

    def with_batch(self, n: int) -> "Layer":
        return replace(self, N=n)

    def with_weights(self, w: np.ndarray | None) -> "Layer":
        return replace(self, weights=w)


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output size of a convolution or pooling window (floor convention, as PyTorch)."""
    out = (size + 2 * padding - kernel) // stride + 1
    if out < 1:
        raise WorkloadError(f"window kernel={kernel}, stride={stride}, padding={padding} "
                            f"does not fit input size {size}")
    return out
