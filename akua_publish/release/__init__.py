"""Where a version goes and how it gets there: the Akua package (by id, by name, or created by an
import), what the registry already holds (decided by content), the push of the artifact to the
package's repository, whether Akua will be able to read it, and the registration of the version.

May import the base modules, ``clients`` and the other domains; never the pipeline or a front end.
"""
