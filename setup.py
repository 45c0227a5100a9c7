"""Package set-up driven by `settings.ini` (the nbdev 2 layout)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

cfg = ConfigParser(delimiters=["="])
cfg.read(Path(__file__).parent / "settings.ini", encoding="utf-8")
c = cfg["DEFAULT"]

licenses = {"apache2": ("Apache Software License 2.0", "OSI Approved :: Apache Software License")}
statuses = ["1 - Planning", "2 - Pre-Alpha", "3 - Alpha", "4 - Beta", "5 - Production/Stable"]
py_versions = ["3.10", "3.11", "3.12", "3.13"]

lic = licenses[c["license"]]
readme = Path(__file__).parent / "README.md"

setuptools.setup(
    name=c["lib_name"].replace("_", "-"),
    version=c["version"],
    description=c["description"],
    long_description=readme.read_text(encoding="utf-8") if readme.exists() else c["description"],
    long_description_content_type="text/markdown",
    license=lic[0],
    author=c["author"],
    author_email=c["author_email"],
    url=c["git_url"],
    keywords=c["keywords"].split(),
    classifiers=[
        "Development Status :: " + statuses[int(c["status"])],
        "Intended Audience :: " + c["audience"].title(),
        "Natural Language :: " + c["language"].title(),
        "License :: " + lic[1],
    ] + ["Programming Language :: Python :: " + v for v in py_versions],
    packages=setuptools.find_packages(include=["stargan_edu", "stargan_edu.*"]),
    include_package_data=True,
    package_data={"stargan_edu": ["assets/*", "assets/compare/*", "assets/official/*", "assets/bench/*", "assets/zoo/*"]},
    python_requires=">=" + c["min_python"] + ",<3.14",
    install_requires=c["requirements"].split(),
    extras_require={"dev": c["dev_requirements"].split()},
    entry_points={
        "console_scripts": c["console_scripts"].split(),
        "nbdev": [f"{c['lib_name']}={c['lib_name']}._modidx:d"],
    },
    zip_safe=False,
)
