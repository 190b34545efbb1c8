"""Digital diplomacy: audience growth, stages and incidents (docs/model.md, "Digital diplomacy").

Foreign ministries reach foreign publics directly through websites and social media (paper 003).
Maturity runs in stages: presence on platforms, then audience, then the quality of content and
engagement. An audience grows logistically towards a ceiling, at a rate set by the ministry's
capacity (a digital unit, a digital champion, trained staff, risk management), the quality of its
content and its investment; incidents (leaks, hacking, anonymity, fake news) cost it a share of
its audience. Randomness comes in as uniforms drawn by the caller.

`digital_step` does a step in one call: incidents, then the audience, then its stage; the other
kernels are its parts. Every kernel here loops over states, of which a scenario has at most a few
hundred: serial on purpose, since starting a parallel region would cost more than the loop.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

NONE, PRESENCE, AUDIENCE, ENGAGEMENT = 0, 1, 2, 3
STAGES = ("none", "presence", "audience", "engagement")


# ---------------------------------------------------------------- audience


@njit(cache=True)
def digital_audience(
    audience: np.ndarray,
    ceiling: np.ndarray,
    capacity: np.ndarray,
    quality: np.ndarray,
    investment: np.ndarray,
    base_rate: float,
    incident_loss: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Logistic growth over Δt, exact, then this step's incident losses:

        r   = base_rate · capacity · quality · (1 + investment)
        a'  = K / (1 + ((K − a)/a)·exp(−r·Δt))      (a = 0 stays 0: no presence, no audience)
        a'' = a' · (1 − loss)

    The exact solution composes: two steps of Δt/2 give one step of Δt. An audience above its
    ceiling K shrinks towards it.
    """
    n = audience.shape[0]
    out = np.empty(n)
    for s in range(n):
        a = audience[s]
        if a > 0.0:
            k = ceiling[s]
            rate = base_rate * capacity[s] * quality[s] * (1.0 + investment[s])
            a = k / (1.0 + (k - a) / a * math.exp(-rate * dt))
        out[s] = a * (1.0 - incident_loss[s])
    return out


def digital_audience_reference(
    audience: np.ndarray,
    ceiling: np.ndarray,
    capacity: np.ndarray,
    quality: np.ndarray,
    investment: np.ndarray,
    base_rate: float,
    incident_loss: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Plain-numpy reference for `digital_audience`."""
    rate = base_rate * capacity * quality * (1.0 + investment)
    present = audience > 0.0
    safe = np.where(present, audience, 1.0)
    grown = ceiling / (1.0 + (ceiling - safe) / safe * np.exp(-rate * dt))
    return np.where(present, grown, audience) * (1.0 - incident_loss)


def digital_audience_python_loop(
    audience: np.ndarray,
    ceiling: np.ndarray,
    capacity: np.ndarray,
    quality: np.ndarray,
    investment: np.ndarray,
    base_rate: float,
    incident_loss: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Naive baseline for `geopol bench`: state by state, over lists, in plain Python."""
    out = []
    for a, k, c, q, v, loss in zip(
        audience.tolist(), ceiling.tolist(), capacity.tolist(), quality.tolist(),
        investment.tolist(), incident_loss.tolist(), strict=True,
    ):
        if a > 0.0:
            rate = base_rate * c * q * (1.0 + v)
            a = k / (1.0 + (k - a) / a * math.exp(-rate * dt))
        out.append(a * (1.0 - loss))
    return np.array(out, dtype=np.float64)


# ---------------------------------------------------------------- stages


@njit(cache=True)
def digital_stage(
    audience: np.ndarray,
    ceiling: np.ndarray,
    quality: np.ndarray,
    audience_from: float,
    engagement_from: float,
    engagement_quality: float,
) -> np.ndarray:
    """Maturity stage (int8): 0 none, 1 presence, 2 audience, 3 engagement.

    0 if a ≤ 0;  1 if a/K < audience_from;
    3 if a/K ≥ engagement_from and quality ≥ engagement_quality;  2 otherwise.
    """
    n = audience.shape[0]
    out = np.empty(n, dtype=np.int8)
    for s in range(n):
        a = audience[s]
        if a <= 0.0:
            out[s] = NONE
            continue
        share = a / ceiling[s]
        if share < audience_from:
            out[s] = PRESENCE
        elif share >= engagement_from and quality[s] >= engagement_quality:
            out[s] = ENGAGEMENT
        else:
            out[s] = AUDIENCE
    return out


def digital_stage_reference(
    audience: np.ndarray,
    ceiling: np.ndarray,
    quality: np.ndarray,
    audience_from: float,
    engagement_from: float,
    engagement_quality: float,
) -> np.ndarray:
    """Plain-numpy reference for `digital_stage`."""
    share = audience / ceiling
    engaged = (share >= engagement_from) & (quality >= engagement_quality)
    stage = np.select(
        [audience <= 0.0, share < audience_from, engaged],
        [NONE, PRESENCE, ENGAGEMENT],
        default=AUDIENCE,
    )
    return stage.astype(np.int8)


def digital_stage_python_loop(
    audience: np.ndarray,
    ceiling: np.ndarray,
    quality: np.ndarray,
    audience_from: float,
    engagement_from: float,
    engagement_quality: float,
) -> np.ndarray:
    """Naive baseline for `geopol bench`: state by state, over lists, in plain Python."""
    out = []
    for a, k, q in zip(audience.tolist(), ceiling.tolist(), quality.tolist(), strict=True):
        if a <= 0.0:
            out.append(NONE)
        elif a / k < audience_from:
            out.append(PRESENCE)
        elif a / k >= engagement_from and q >= engagement_quality:
            out.append(ENGAGEMENT)
        else:
            out.append(AUDIENCE)
    return np.array(out, dtype=np.int8)


# ---------------------------------------------------------------- incidents


@njit(cache=True)
def incident_losses(
    uniforms: np.ndarray,
    hazard: np.ndarray,
    risk_management: np.ndarray,
    severity: float,
    dt: float,
) -> np.ndarray:
    """Share of the audience lost to an incident this step (leak, hack, fake news):

        loss_s = severity  if u_s < 1 − exp(−hazard_s·(1 − risk_management_s)·Δt),  else 0

    with u_s ~ U[0, 1) drawn by the caller. Full risk management prevents incidents; u = 1
    never triggers one.
    """
    n = uniforms.shape[0]
    out = np.zeros(n)
    for s in range(n):
        chance = -math.expm1(-hazard[s] * (1.0 - risk_management[s]) * dt)
        if uniforms[s] < chance:
            out[s] = severity
    return out


def incident_losses_reference(
    uniforms: np.ndarray,
    hazard: np.ndarray,
    risk_management: np.ndarray,
    severity: float,
    dt: float,
) -> np.ndarray:
    """Plain-numpy reference for `incident_losses`."""
    chance = -np.expm1(-hazard * (1.0 - risk_management) * dt)
    return np.where(uniforms < chance, float(severity), 0.0)


def incident_losses_python_loop(
    uniforms: np.ndarray,
    hazard: np.ndarray,
    risk_management: np.ndarray,
    severity: float,
    dt: float,
) -> np.ndarray:
    """Naive baseline for `geopol bench`: state by state, over lists, in plain Python."""
    out = []
    for u, h, risk in zip(uniforms.tolist(), hazard.tolist(), risk_management.tolist(),
                          strict=True):
        out.append(severity if u < -math.expm1(-h * (1.0 - risk) * dt) else 0.0)
    return np.array(out, dtype=np.float64)


# ---------------------------------------------------------------- one step


@njit(cache=True)
def digital_step(
    uniforms: np.ndarray,
    hazard: np.ndarray,
    risk_management: np.ndarray,
    severity: float,
    audience: np.ndarray,
    ceiling: np.ndarray,
    capacity: np.ndarray,
    quality: np.ndarray,
    investment: np.ndarray,
    base_rate: float,
    audience_from: float,
    engagement_from: float,
    engagement_quality: float,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One step of digital diplomacy, each part from the ones before: the share of the audience
    lost to an incident (S,), the audience after the step (S,) and its stage (S,) int8.

        loss     = incident_losses(uniforms, hazard, risk_management, severity, dt)
        audience = digital_audience(audience, ceiling, capacity, quality, investment,
                                    base_rate, loss, dt)
        stage    = digital_stage(audience, ceiling, quality, audience_from, engagement_from,
                                 engagement_quality)
    """
    loss = incident_losses(uniforms, hazard, risk_management, severity, dt)
    grown = digital_audience(
        audience, ceiling, capacity, quality, investment, base_rate, loss, dt
    )
    stage = digital_stage(grown, ceiling, quality, audience_from, engagement_from,
                          engagement_quality)
    return loss, grown, stage


def digital_step_reference(
    uniforms: np.ndarray,
    hazard: np.ndarray,
    risk_management: np.ndarray,
    severity: float,
    audience: np.ndarray,
    ceiling: np.ndarray,
    capacity: np.ndarray,
    quality: np.ndarray,
    investment: np.ndarray,
    base_rate: float,
    audience_from: float,
    engagement_from: float,
    engagement_quality: float,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plain-numpy reference for `digital_step`: the references of its parts."""
    loss = incident_losses_reference(uniforms, hazard, risk_management, severity, dt)
    grown = digital_audience_reference(
        audience, ceiling, capacity, quality, investment, base_rate, loss, dt
    )
    stage = digital_stage_reference(grown, ceiling, quality, audience_from, engagement_from,
                                    engagement_quality)
    return loss, grown, stage


def digital_step_python_loop(
    uniforms: np.ndarray,
    hazard: np.ndarray,
    risk_management: np.ndarray,
    severity: float,
    audience: np.ndarray,
    ceiling: np.ndarray,
    capacity: np.ndarray,
    quality: np.ndarray,
    investment: np.ndarray,
    base_rate: float,
    audience_from: float,
    engagement_from: float,
    engagement_quality: float,
    dt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Baseline for `geopol bench`: the baselines of its parts, over lists."""
    loss = incident_losses_python_loop(uniforms, hazard, risk_management, severity, dt)
    grown = digital_audience_python_loop(
        audience, ceiling, capacity, quality, investment, base_rate, loss, dt
    )
    stage = digital_stage_python_loop(grown, ceiling, quality, audience_from, engagement_from,
                                      engagement_quality)
    return loss, grown, stage
