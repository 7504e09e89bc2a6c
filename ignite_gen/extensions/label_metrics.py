"""Per-epoch metrics of conditional, latent-code and translation models, read by the
project's digit classifiers: conditional accuracy, predictor accuracy, style-transfer
accuracy, code purity and label preservation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from torch import nn

from ..argument_checks import choice, described, integer
from ..errors import ArgumentTypeError, UserError
from ..extension import PRIORITY_WRITER, Extension
from ..metrics.classifier import DOMAINS, MnistClassifier, held_out_split
from ..metrics.code_purity import code_purity
from ..metrics.conditional import conditional_accuracy, predictor_accuracy
from ..metrics.evaluating import module_device
from ..metrics.label_preservation import label_preservation
from ..metrics.style_transfer import style_transfer_accuracy
from ..reporter import report
from .image_grid import resolve_generator
from .sample_quality import load_classifier_once

if TYPE_CHECKING:
    from ..trainer import Trainer
    from ..triggers import TriggerLike

__all__ = [
    "CodePurityReport",
    "ConditionalAccuracy",
    "LabelMetric",
    "LabelPreservation",
    "PredictorAccuracy",
    "StyleTransferAccuracy",
]

Models = Mapping[str, nn.Module]
#: Per model role, the attributes a metric needs of that model.
Requirements = Mapping[str, tuple[str, ...]]


class LabelMetric(Extension):
    """Base of the extensions here: every ``trigger`` it reports one number,
    ``<key>/<metric>``, computed by :meth:`compute` from the resolved models.

    Subclasses set ``metric`` (the key's last part and the name of its state),
    ``requires`` (per model role, the attributes the metric needs: checked in
    ``initialize``, so a wrong model fails before the first epoch), ``uses_classifier``
    and ``default_key``. Model names resolve as for ``ImageGrid`` (``"<name>_ema"``
    first); ``key`` defaults to the first role's name, or ``default_key`` when that role
    is given as a module. A writer: a ``LogReport`` firing at the same iteration
    records the number. The state records the settings and model names (for
    ``ignite-gen evaluate``).

    Example:
        >>> class Ones(LabelMetric):
        ...     metric, requires, uses_classifier = "ones", {"generator": ()}, False
        ...     def compute(self, models, classifier):
        ...         return 1.0
        >>> trainer.extend(Ones({"generator": "gen"}, {}))  # reports gen/ones
    """

    priority = PRIORITY_WRITER
    metric: ClassVar[str]
    requires: ClassVar[Requirements]
    uses_classifier: ClassVar[bool] = True
    default_key: ClassVar[str] = "gen"
    #: Which digit classifier judges (:data:`~ignite_gen.metrics.classifier.DOMAINS`).
    classifier_domain = "mnist"

    def __init__(
        self,
        models: Mapping[str, nn.Module | str],
        settings: Mapping[str, int],
        seed: int = 0,
        trigger: TriggerLike = (1, "epoch"),
        key: str | None = None,
    ) -> None:
        user = type(self).__name__
        for role, model in models.items():
            if not isinstance(model, (nn.Module, str)):
                raise ArgumentTypeError(
                    f"{user}: {role} must be a module or a model name, got {described(model)}"
                )
        if key is not None and not isinstance(key, str):
            raise ArgumentTypeError(f"{user}: key must be a str or None, got {described(key)}")
        self.models = dict(models)
        self.settings = {name: integer(v, f"{user}: {name}") for name, v in settings.items()}
        self.seed = integer(seed, f"{user}: seed", minimum=None)
        self.trigger = trigger
        first = next(iter(self.models.values()))
        self.key = key or (first if isinstance(first, str) else self.default_key)
        self._classifier: MnistClassifier | None = None

    def resolve(self, trainer: Trainer) -> dict[str, nn.Module]:
        """Each role's module (``"<name>_ema"`` first, when the updater has one)."""
        user = type(self).__name__
        return {role: resolve_generator(trainer, m, user) for role, m in self.models.items()}

    def initialize(self, trainer: Trainer) -> None:
        """Check that each model has what the metric needs, then load the classifier."""
        models = self.resolve(trainer)
        for role, attributes in self.requires.items():
            missing = [name for name in attributes if not hasattr(models[role], name)]
            if missing:
                given = self.models[role]
                name = repr(given) if isinstance(given, str) else "module"
                raise UserError(
                    f"{type(self).__name__}: {role} {name} ({type(models[role]).__name__}) "
                    f"has no {', '.join(missing)}"
                )
        if self.uses_classifier:
            first = next(iter(models.values()))
            self._classifier = load_classifier_once(module_device(first), self.classifier_domain)

    def compute(self, models: Models, classifier: MnistClassifier | None) -> float:
        """The metric of ``models`` (one per role), judged by ``classifier``."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """What was measured, so ``ignite-gen evaluate`` can repeat it from a snapshot."""
        names = {role: m if isinstance(m, str) else None for role, m in self.models.items()}
        return {self.metric: {**names, **self.settings, "seed": self.seed}}

    def __call__(self, trainer: Trainer) -> None:
        # Under torch.distributed every rank computes the same number from the same
        # weights and seed: LogReport all-reduces each key, so every rank must report it,
        # and the metrics are too small to be worth sharding.
        report({f"{self.key}/{self.metric}": self.compute(self.resolve(trainer), self._classifier)})


class ConditionalAccuracy(LabelMetric):
    """Reports ``<key>/conditional_accuracy``: how often the MNIST classifier reads label
    ``y`` in the images ``generator(z, y)`` makes, ``n_per_class`` per label (noise
    seeded ``seed``), by :func:`~ignite_gen.metrics.conditional.conditional_accuracy`.

    Example:
        >>> trainer.extend(ConditionalAccuracy("main"))  # a CVAE: main/conditional_accuracy
    """

    metric = "conditional_accuracy"
    requires: ClassVar[Requirements] = {"generator": ("n_classes",)}

    def __init__(
        self,
        generator: nn.Module | str = "gen",
        n_per_class: int = 100,
        seed: int = 0,
        trigger: TriggerLike = (1, "epoch"),
        key: str | None = None,
    ) -> None:
        super().__init__({"generator": generator}, {"n_per_class": n_per_class}, seed, trigger, key)

    def compute(self, models: Models, classifier: MnistClassifier | None) -> float:
        n = self.settings["n_per_class"]
        return conditional_accuracy(models["generator"], classifier, n, self.seed)


class PredictorAccuracy(LabelMetric):
    """Reports ``<key>/accuracy``: how often ``predictor.predict`` (``samples`` prior
    draws, seeded ``seed``) names the digit of the 1,000 held-out images of
    :func:`~ignite_gen.metrics.classifier.held_out_split`, by
    :func:`~ignite_gen.metrics.conditional.predictor_accuracy`. No classifier is loaded:
    the images' own labels are the truth.

    Example:
        >>> trainer.extend(PredictorAccuracy("main"))  # main/accuracy
    """

    metric = "accuracy"
    requires: ClassVar[Requirements] = {"predictor": ("predict",)}
    uses_classifier = False
    default_key = "main"

    def __init__(
        self,
        predictor: nn.Module | str = "main",
        samples: int = 32,
        seed: int = 0,
        trigger: TriggerLike = (1, "epoch"),
        key: str | None = None,
    ) -> None:
        super().__init__({"predictor": predictor}, {"samples": samples}, seed, trigger, key)

    def compute(self, models: Models, classifier: MnistClassifier | None) -> float:
        samples = self.settings["samples"]
        return predictor_accuracy(models["predictor"], samples=samples, seed=self.seed)


class StyleTransferAccuracy(LabelMetric):
    """Reports ``<key>/style_transfer`` (``key``: the generator's name): how often the
    MNIST classifier reads the new label in ``generator(mu, new_label)``, ``mu`` being
    ``encoder``'s posterior mean of each held-out image with its own label, by
    :func:`~ignite_gen.metrics.style_transfer.style_transfer_accuracy` (``seed`` draws
    the new labels).

    Example:
        >>> trainer.extend(StyleTransferAccuracy("enc", "gen"))  # gen/style_transfer
    """

    metric = "style_transfer"
    requires: ClassVar[Requirements] = {"generator": ("n_classes",), "encoder": ()}

    def __init__(
        self,
        encoder: nn.Module | str = "enc",
        generator: nn.Module | str = "gen",
        seed: int = 0,
        trigger: TriggerLike = (1, "epoch"),
        key: str | None = None,
    ) -> None:
        # The generator first: its name is the key's default.
        super().__init__({"generator": generator, "encoder": encoder}, {}, seed, trigger, key)

    def compute(self, models: Models, classifier: MnistClassifier | None) -> float:
        assert classifier is not None  # uses_classifier: initialize loaded it
        _, _, images, labels = held_out_split()
        encoder, generator = models["encoder"], models["generator"]
        return style_transfer_accuracy(
            encoder, generator, classifier, images, labels, seed=self.seed
        )


class CodePurityReport(LabelMetric):
    """Reports ``<key>/code_purity``: the accuracy of the best one-to-one map from an
    InfoGAN generator's categorical code values to the digits the MNIST classifier reads
    in their images (``n_per_code`` per value, the rest of the latent seeded ``seed``), by
    :func:`~ignite_gen.metrics.code_purity.code_purity`.

    Example:
        >>> trainer.extend(CodePurityReport("gen"))  # gen/code_purity
    """

    metric = "code_purity"
    requires: ClassVar[Requirements] = {"generator": ("n_categories", "sample_codes", "latent")}

    def __init__(
        self,
        generator: nn.Module | str = "gen",
        n_per_code: int = 100,
        seed: int = 0,
        trigger: TriggerLike = (1, "epoch"),
        key: str | None = None,
    ) -> None:
        super().__init__({"generator": generator}, {"n_per_code": n_per_code}, seed, trigger, key)

    def compute(self, models: Models, classifier: MnistClassifier | None) -> float:
        n = self.settings["n_per_code"]
        return code_purity(models["generator"], classifier, n_per_code=n, seed=self.seed).purity


class LabelPreservation(LabelMetric):
    """Reports ``<key>/label_preservation`` (``key``: the translator's name): how often
    the ``target`` domain's classifier reads, in ``translator``'s translation of each
    held-out image of the ``source`` domain, that image's own digit, by
    :func:`~ignite_gen.metrics.label_preservation.label_preservation`.

    Example:
        >>> trainer.extend(LabelPreservation("gen_uv", "mnist", "digits8x8"))
    """

    metric = "label_preservation"
    requires: ClassVar[Requirements] = {"translator": ()}
    default_key = "gen_uv"

    def __init__(
        self,
        translator: nn.Module | str = "gen_uv",
        source: str = "mnist",
        target: str = "digits8x8",
        trigger: TriggerLike = (1, "epoch"),
        key: str | None = None,
    ) -> None:
        super().__init__({"translator": translator}, {}, 0, trigger, key)
        self.source = choice(source, "LabelPreservation: source", DOMAINS)
        self.classifier_domain = choice(target, "LabelPreservation: target", DOMAINS)

    def compute(self, models: Models, classifier: MnistClassifier | None) -> float:
        assert classifier is not None  # uses_classifier: initialize loaded it
        _, _, images, labels = held_out_split(self.source)
        return label_preservation(models["translator"], classifier, images, labels)

    def state_dict(self) -> dict[str, Any]:
        """The translator's name and both domains, for ``ignite-gen evaluate``."""
        state = super().state_dict()
        state[self.metric].update(source=self.source, target=self.classifier_domain)
        return state
