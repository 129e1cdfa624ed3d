import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { safeReturnPath, type PageDeps } from '../index.js';
import { render } from '../render.js';
import { endSession, regenerateSession, setFlash } from '../session.js';
import { WebError, type WebUser } from '../state.js';
import { renderDashboard } from './account.js';

const loginForm = z.object({
  login: z.string().trim().min(1, 'Podaj login.').max(200, 'Login jest za długi.'),
  password: z.string().min(1, 'Podaj hasło.').max(200, 'Hasło jest za długie.'),
  wroc: z.string().optional(),
});

const passwordForm = z
  .object({
    currentPassword: z.string().min(1, 'Podaj obecne hasło.').max(200, 'Hasło jest za długie.'),
    newPassword: z.string().min(10, 'Nowe hasło musi mieć co najmniej 10 znaków.').max(200, 'Hasło jest za długie.'),
    newPasswordRepeat: z.string().max(200),
  })
  .refine((f) => f.newPassword === f.newPasswordRepeat, { message: 'Powtórzone hasło różni się od nowego.', path: ['newPasswordRepeat'] });

/** Field errors of a form: the first message per field, for the field's own description. */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? '_');
    out[key] ??= issue.message;
  }
  return out;
}

export function formBody(ctx: Context): Record<string, unknown> {
  return (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
}

function renderLogin(ctx: Context, data: { error?: string; errors?: Record<string, string>; login?: string; wroc?: string }, status = 200) {
  render(ctx, 'login', { title: 'Logowanie', errors: {}, login: '', wroc: '', ...data }, status);
}

const PASSWORD_ERRORS: Record<string, string> = {
  invalid_credentials: 'Obecne hasło jest nieprawidłowe.',
  password_unchanged: 'Nowe hasło musi różnić się od obecnego.',
  weak_password: 'To hasło jest zbyt łatwe do odgadnięcia. Wybierz dłuższe, mniej oczywiste hasło.',
  password_too_weak: 'To hasło jest zbyt łatwe do odgadnięcia. Wybierz dłuższe, mniej oczywiste hasło.',
  password_rejected: 'To hasło jest zbyt łatwe do odgadnięcia. Wybierz dłuższe, mniej oczywiste hasło.',
  password_changed_concurrently: 'Hasło zostało w międzyczasie zmienione. Zaloguj się ponownie.',
};

export function registerAuthPages(router: Router, { services }: PageDeps): void {
  router.get('/', async (ctx) => {
    const user = ctx.state.webUser as WebUser | undefined;
    if (!user) {
      const loggedOut = ctx.query.wylogowano === '1';
      return renderLogin(ctx, { wroc: safeReturnPath(ctx.query.wroc) === '/' ? '' : safeReturnPath(ctx.query.wroc), ...(loggedOut ? { info: 'Wylogowano. Do zobaczenia!' } : {}) });
    }
    if (user.role === 'customer' && user.customerId) return renderDashboard(ctx, services, user.customerId);
    render(ctx, 'staff', { title: 'Panel pracownika' });
  });

  router.post('/', async (ctx) => {
    const parsed = loginForm.safeParse(formBody(ctx));
    if (!parsed.success) {
      const raw = formBody(ctx);
      return renderLogin(ctx, { errors: fieldErrors(parsed.error), login: typeof raw.login === 'string' ? raw.login.slice(0, 200) : '' }, 400);
    }
    const { login, password } = parsed.data;
    const wroc = safeReturnPath(parsed.data.wroc);
    try {
      const result = await services.login(login, password, ctx.ip);
      regenerateSession(ctx, { loginId: result.user.loginId, pwv: result.user.passwordVersion });
      ctx.status = 303;
      ctx.redirect(result.mustChangePassword ? '/haslo' : wroc);
    } catch (err) {
      if (err instanceof AppError && err.status === 429) {
        const seconds = Number(err.headers?.['Retry-After'] ?? 60);
        ctx.set('Retry-After', String(seconds));
        const minutes = Math.max(1, Math.ceil(seconds / 60));
        return renderLogin(
          ctx,
          { error: `Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za ${minutes} min.`, login, wroc: wroc === '/' ? '' : wroc },
          429,
        );
      }
      if (err instanceof AppError && err.status === 401) {
        return renderLogin(ctx, { error: 'Nieprawidłowy login lub hasło.', login, wroc: wroc === '/' ? '' : wroc }, 401);
      }
      throw err;
    }
  });

  router.get('/haslo', (ctx) => {
    const user = ctx.state.webUser as WebUser | undefined;
    if (!user) {
      ctx.status = 303;
      return ctx.redirect('/?wroc=/haslo');
    }
    render(ctx, 'password', { title: 'Zmiana hasła', forced: user.mustChangePassword, errors: {} });
  });

  router.post('/haslo', async (ctx) => {
    const user = ctx.state.webUser as WebUser | undefined;
    if (!user) throw new WebError(401, 'Sesja wygasła. Zaloguj się ponownie.');
    const parsed = passwordForm.safeParse(formBody(ctx));
    if (!parsed.success) {
      return render(ctx, 'password', { title: 'Zmiana hasła', forced: user.mustChangePassword, errors: fieldErrors(parsed.error) }, 400);
    }
    try {
      const result = await services.changePassword(user, parsed.data.currentPassword, parsed.data.newPassword, ctx.ip);
      // The old session ends here (its token no longer works anywhere); the browser gets a new one.
      regenerateSession(ctx, { loginId: result.user.loginId, pwv: result.user.passwordVersion });
      setFlash(ctx, 'ok', 'Hasło zostało zmienione.');
      ctx.status = 303;
      ctx.redirect('/');
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        if (err.status === 429) ctx.set('Retry-After', err.headers?.['Retry-After'] ?? '60');
        const message =
          PASSWORD_ERRORS[err.code] ??
          (err.status === 422 ? 'To hasło jest zbyt łatwe do odgadnięcia. Wybierz dłuższe, mniej oczywiste hasło.' : err.status === 429 ? 'Zbyt wiele nieudanych prób. Spróbuj ponownie później.' : 'Nie udało się zmienić hasła.');
        const field = err.code === 'invalid_credentials' ? 'currentPassword' : 'newPassword';
        return render(ctx, 'password', { title: 'Zmiana hasła', forced: user.mustChangePassword, errors: { [field]: message } }, err.status);
      }
      throw err;
    }
  });

  router.post('/wyloguj', (ctx) => {
    endSession(ctx);
    ctx.status = 303;
    ctx.redirect('/?wylogowano=1');
  });
}
