import numpy as np

import autograd as ag


def test_square_sum_gradient():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_demo_loss_falls(capsys):
    from ndgrad.cli import demo

    final = demo(steps=100, seed=0)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step")]
    first = float(lines[0].split()[3])
    assert final < first * 0.9
