// The token control: shows who the current token is (viewer or editor), or asks for one. The token is
// kept in sessionStorage (cleared with the tab). With auth disabled (dev mode) none is needed.

import { useState } from 'preact/hooks';
import { getToken, setToken } from '../api';
import { useWhoami } from '../hooks';

export function TokenBar() {
  const me = useWhoami();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const has = getToken() !== '';
  if (me?.authDisabled)
    return (
      <span class="who" data-testid="who">
        auth disabled (dev): full access
      </span>
    );
  if (editing || (!me && !has)) {
    return (
      <form
        class="token"
        onSubmit={(e) => {
          e.preventDefault();
          setToken(value.trim());
          setValue('');
          setEditing(false);
        }}
      >
        <input
          type="password"
          placeholder="API token (viewer or editor)"
          value={value}
          aria-label="API token"
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
          data-testid="token-input"
        />
        <button type="submit">Use token</button>
        {has && (
          <button type="button" class="link" onClick={() => setEditing(false)}>
            cancel
          </button>
        )}
      </form>
    );
  }
  return (
    <span class="who" data-testid="who">
      {me ? (
        <>
          {me.name} · <b class={`role role-${me.role}`}>{me.role}</b>
        </>
      ) : (
        'token rejected'
      )}
      <button type="button" class="link" onClick={() => setEditing(true)}>
        change
      </button>
      <button type="button" class="link" onClick={() => setToken('')}>
        forget
      </button>
    </span>
  );
}
