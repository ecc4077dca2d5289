"""The wheel holds squeeze.so, a Linux shared object, so it is not a pure-Python wheel:
it installs into platlib and its tag is py3-none-<platform> (any Python 3, no Python ABI:
the .so is an SQLite extension, not a Python module). Everything else is in
pyproject.toml."""
from setuptools import setup
from setuptools.dist import Distribution

try:  # setuptools >= 70.1 has its own bdist_wheel; before, it is the wheel package's
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:
    from wheel.bdist_wheel import bdist_wheel


class BinaryDistribution(Distribution):
    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    def get_tag(self):
        return ("py3", "none", super().get_tag()[2])


setup(distclass=BinaryDistribution, cmdclass={"bdist_wheel": PlatformWheel})
