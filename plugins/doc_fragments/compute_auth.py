# -*- coding: utf-8 -*-
# Copyright: contributors to the novaops.compute collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``auth`` option of the modules that ask the Compute API (keystone v3 credentials)."""

from __future__ import annotations


class ModuleDocFragment:

    # A module that extends this fragment describes what it asks the API in
    # its own auth.description; type and suboptions come from here.
    DOCUMENTATION = r"""
options:
  auth:
    description:
      - Keystone credentials for the Compute API, the keys of a C(clouds.yaml) C(auth) entry plus
        O(auth.region_name) and O(auth.interface). Plain HTTPS to keystone v3 and Nova, no OpenStack SDK.
    type: dict
    suboptions:
      auth_url:
        description: Keystone URL (V(http://controller:5000/v3); V(/v3) is added when missing).
        type: str
      username:
        description: Keystone user name.
        type: str
      user_id:
        description: Keystone user ID (instead of O(auth.username)).
        type: str
      password:
        description: Password of the user.
        type: str
      project_name:
        description: Project to scope the token to.
        type: str
      project_id:
        description: Project ID to scope the token to (instead of O(auth.project_name)).
        type: str
      user_domain_name:
        description: Domain of O(auth.username); V(Default) when neither this nor O(auth.user_domain_id) (nor a
          cloud's settings) sets it.
        type: str
      user_domain_id:
        description: Domain ID of O(auth.username).
        type: str
      project_domain_name:
        description: Domain of O(auth.project_name); V(Default) when neither this nor O(auth.project_domain_id)
          (nor a cloud's settings) sets it.
        type: str
      project_domain_id:
        description: Domain ID of O(auth.project_name).
        type: str
      application_credential_id:
        description: ID of an application credential (used instead of a password with
          O(auth.application_credential_secret)).
        type: str
      application_credential_name:
        description: Name of an application credential of O(auth.username) (instead of its ID).
        type: str
      application_credential_secret:
        description: Secret of the application credential.
        type: str
      region_name:
        description: Region of the compute endpoint in the catalog; the first compute endpoint of
          O(auth.interface) when not set.
        type: str
      interface:
        description: Which catalog endpoint of the Compute API to use; V(public) when neither this nor a
          cloud's settings set it.
        type: str
        choices: [public, internal, admin]
notes:
  - O(auth) is not C(no_log) as a whole, only its secrets are; Ansible would otherwise mask every value
    of it (a user named V(nova) or an interface V(public)) wherever it appears in the result.
  - No credential is returned, also not when Keystone or Nova echoes one in an error answer.
"""
