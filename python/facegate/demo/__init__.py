"""``facegate demo``: the matching engine on a synthetic gallery (:mod:`~facegate.demo.matching`)
and the consent gate's story at a hotel (:mod:`~facegate.demo.hotel`), on synthetic encodings
(:mod:`~facegate.demo.synthetic`) and the public-domain astronaut photograph."""
